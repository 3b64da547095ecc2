import type { PolicyDimension } from "../contract/vk-config";
import { GatewayError } from "../errors";
import type { ModelTarget } from "../contract/model-target";
import type { ModelRefusal } from "./model-access";
import type { RuleRefusal } from "./rule-match";

/** The errors of the policy stage (docs/api.md, Errors): each names the rule that refused and what to do next. */

const SHOWN = 10;

/** Patterns or entries as a short list: `a`, `b` (and 3 more). */
function listed(items: readonly string[]): string {
  if (items.length === 0) return "an empty list";
  const shown = items.slice(0, SHOWN).map((p) => `\`${p}\``);
  return shown.join(", ") + (items.length > SHOWN ? ` (and ${items.length - SHOWN} more)` : "");
}

function howToChange(field: string, vkId: string): string {
  return (
    `ask the key's owner to change ${field} (PATCH /admin/v1/virtual-keys/${vkId}, or ` +
    `\`faregate vk update ${vkId} --config-json …\`)`
  );
}

function ruleClause(dimension: PolicyDimension, refusal: RuleRefusal): string {
  return refusal.list === "deny"
    ? `matches the pattern \`${refusal.pattern}\` in this key's policy_rules.${dimension} deny list`
    : `matches none of the patterns in this key's policy_rules.${dimension} allow list (${listed(refusal.patterns)})`;
}

export function modelNotAllowed(target: ModelTarget, refusal: ModelRefusal, vkId: string): GatewayError {
  const what = `The model "${target.model}" on provider "${target.binding.name}"`;
  const why =
    refusal.rule === "models_allowed"
      ? `is not in this key's models_allowed list (${listed(refusal.entries)})`
      : ruleClause("models", refusal);
  const field = refusal.rule === "models_allowed" ? "models_allowed" : "policy_rules.models";
  return new GatewayError(
    "model_not_allowed",
    "model_not_allowed",
    `${what} ${why}. Use a model this key may call (GET /v1/models lists them), or ${howToChange(field, vkId)}.`,
    { param: "model" },
  );
}

export function valueNotAllowed(
  dimension: "tools" | "mcp" | "urls",
  value: string,
  param: string,
  refusal: RuleRefusal,
  vkId: string,
): GatewayError {
  const [type, code, noun, remedy] =
    dimension === "tools"
      ? (["tool_not_allowed", "tool_not_allowed", "tool", "Remove the tool from the request"] as const)
      : dimension === "mcp"
        ? ([
            "tool_not_allowed",
            "mcp_server_not_allowed",
            "MCP server",
            "Remove the MCP server from the request",
          ] as const)
        : (["url_not_allowed", "url_not_allowed", "URL", "Remove the URL from the request"] as const);
  const shown = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  return new GatewayError(
    type,
    code,
    `The ${noun} ${JSON.stringify(shown)}${param ? ` (${param})` : ""} ${ruleClause(dimension, refusal)}. ` +
      `${remedy}, or ${howToChange(`policy_rules.${dimension}`, vkId)}.`,
    { param: param || null },
  );
}

export function visionDisabled(param: string, vkId: string): GatewayError {
  return new GatewayError(
    "invalid_request_error",
    "vision_disabled",
    `This key does not accept image input ("vision": false), and ${param || "the body"} is an image. ` +
      `Send the request without images, or ask the key's owner to set "vision": true in the key's config ` +
      `(PATCH /admin/v1/virtual-keys/${vkId} with {"config": {"vision": true}}, or ` +
      `\`faregate vk update ${vkId} --config-json '{"vision":true}'\`).`,
    { param: param || null },
  );
}
