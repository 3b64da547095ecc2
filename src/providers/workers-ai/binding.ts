import * as z from "zod";
import type { ProviderBinding } from "../../contract/bundle";
import { BindingMisconfigured } from "../types";

/**
 * The Worker's Workers AI binding a `workers-ai` provider binding calls, and the JSON answers the
 * family hands the pipeline (shared by its chat and embeddings calls).
 *
 * Settings (`settings` of the binding):
 *   binding   the name of the Worker's AI binding; default "AI". The Worker must declare it
 *             (`[ai] binding = "AI"` in wrangler.toml, see docs/deploy.md).
 */

export const WORKERS_AI_DEFAULT_BINDING = "AI";

export const workersAISettingsSchema = z.looseObject({
  binding: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]{0,62}$/,
      "must name a Worker binding: letters, digits and '_', not starting with a digit",
    )
    .optional(),
});

/** What the gateway calls of the AI binding (the runtime's `Ai` has many more methods). */
export interface AIRunner {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

const isRunner = (v: unknown): v is AIRunner =>
  typeof v === "object" && v !== null && typeof (v as { run?: unknown }).run === "function";

/** The AI binding the binding's settings name, or a BindingMisconfigured saying how to declare it. */
export function aiBinding(binding: ProviderBinding, env: Env): AIRunner {
  const parsed = workersAISettingsSchema.safeParse(binding.settings);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const problem = issue?.code === "invalid_type" ? "must be a string" : (issue?.message ?? "is not valid");
    throw new BindingMisconfigured(
      `binding ${binding.name} (workers-ai) has an invalid settings.binding: it ${problem}. Fix it with PATCH /admin/v1/providers/${binding.name}.`,
    );
  }
  const name = parsed.data.binding ?? WORKERS_AI_DEFAULT_BINDING;
  const value: unknown = (env as unknown as Record<string, unknown>)[name];
  if (isRunner(value)) return value;
  throw new BindingMisconfigured(
    `binding ${binding.name} (workers-ai) needs the Worker's Workers AI binding "${name}", which this Worker does not have: add [ai] binding = "${name}" to wrangler.toml and deploy again (docs/deploy.md)`,
  );
}

/** A JSON answer, as the pipeline reads a provider's. */
export const jsonAnswer = (body: unknown, status = 200): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** A 502 OpenAI error answer for Workers AI output that cannot be read (so the next binding is tried). */
export const unreadableAnswer = (message: string): Response =>
  jsonAnswer({ error: { message, type: "provider_error", param: null, code: "untranslatable_response" } }, 502);
