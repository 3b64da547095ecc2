import * as z from "zod";
import type { ProviderBinding } from "../../contract/bundle";
import { BindingMisconfigured } from "../types";

/**
 * The `settings` of a `bedrock` binding (other keys, such as `unpriced`, are left to whoever reads them):
 *
 *   region          the AWS region to call (required): the endpoint is
 *                   https://bedrock-runtime.{region}.amazonaws.com unless the binding gives `base_url`,
 *                   and SigV4 signs for it
 *   access_key_id   an IAM access key id: requests are SigV4-signed with it and the binding's API key
 *                   (`api_key` or `api_key_secret`) as its secret access key. Without it the API key is
 *                   a Bedrock API key, sent as `Authorization: Bearer`.
 *
 * Settings are stored unencrypted, so they hold no secret: a secret access key or a session token
 * put here is refused when the binding is written, with a pointer to `api_key`.
 */

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ACCESS_KEY_ID = /^[A-Z0-9]{16,128}$/;

/** Fields that would hold a secret in plain text. */
const SECRET_FIELDS = ["secret_access_key", "session_token", "aws_secret_access_key", "aws_session_token"];

export const bedrockSettingsSchema = z
  .looseObject({
    region: z.string().regex(REGION, "must be an AWS region such as us-east-1"),
    access_key_id: z
      .string()
      .regex(
        ACCESS_KEY_ID,
        "must be an AWS access key id such as AKIAIOSFODNN7EXAMPLE (the secret access key goes in api_key)",
      )
      .optional(),
  })
  .superRefine((settings, ctx) => {
    for (const field of SECRET_FIELDS) {
      if (!Object.hasOwn(settings, field)) continue;
      ctx.addIssue({
        code: "custom",
        path: [field],
        message:
          "must not be set: settings are stored unencrypted. Give the secret access key as api_key (stored encrypted) or api_key_secret (a Worker secret); temporary credentials with a session token are not supported",
      });
    }
  });

export type BedrockSettings = z.infer<typeof bedrockSettingsSchema>;

/** The binding's settings, or a BindingMisconfigured naming the binding and the first bad field. */
export function bedrockSettings(binding: ProviderBinding): BedrockSettings {
  const parsed = bedrockSettingsSchema.safeParse(binding.settings);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = ["settings", ...(issue?.path ?? []).map(String)].join(".");
  const problem = issue?.code === "invalid_type" ? "is missing or not a string" : (issue?.message ?? "is not valid");
  throw new BindingMisconfigured(
    `binding ${binding.name} (bedrock) has an invalid ${field}: it ${problem}. Fix it with PATCH /admin/v1/providers/${binding.name}.`,
  );
}

/** The runtime endpoint of a region, for bindings without `base_url`. */
export const bedrockRuntimeRoot = (region: string): string => `https://bedrock-runtime.${region}.amazonaws.com`;
