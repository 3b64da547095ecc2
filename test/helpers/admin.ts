import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { ulid } from "../../src/lib/ids";
import { fakeBaseUrl } from "./fake-upstream";
import { GATEWAY, gatewayFetch, readOpenAIError } from "./gateway";

/** Calling the admin API (/admin/v1) as an operator would, and reading what it answers. */

export const ADMIN_TOKEN = env.LW_GATEWAY_ADMIN_TOKEN;
export const ADMIN_BASE = "/admin/v1";

/** A name no other test uses (D1 is shared by the tests of a run). */
export const uniqueName = (prefix: string): string => `${prefix}-${ulid().slice(-10).toLowerCase()}`;

export interface AdminCall {
  method?: string;
  /** An object is sent as JSON; a string or bytes are sent as they are. */
  body?: unknown;
  /** `null` sends no Authorization header; a string replaces the header's value. */
  authorization?: string | null;
  headers?: Record<string, string>;
}

function adminInit(call: AdminCall): RequestInit {
  const headers: Record<string, string> = { ...(call.headers ?? {}) };
  if (call.authorization !== null) headers.authorization = call.authorization ?? `Bearer ${ADMIN_TOKEN}`;
  if (call.body !== undefined) headers["content-type"] = "application/json";
  return {
    method: call.method ?? (call.body === undefined ? "GET" : "POST"),
    headers,
    body:
      call.body === undefined
        ? undefined
        : typeof call.body === "string" || call.body instanceof Uint8Array
          ? call.body
          : JSON.stringify(call.body),
  };
}

/** Through the Worker's real fetch entry point. */
export function adminFetch(path: string, call: AdminCall = {}): Promise<Response> {
  return gatewayFetch(`${ADMIN_BASE}${path}`, adminInit(call));
}

/** A Request for `fetchWithEnv` (the app under a modified env). */
export function adminRequest(path: string, call: AdminCall = {}): Request {
  return new Request(`${GATEWAY}${ADMIN_BASE}${path}`, adminInit(call));
}

export interface AdminReply<T> {
  status: number;
  body: T;
  /** The raw response text, for checks that no secret appears anywhere in it. */
  text: string;
}

export async function adminCall<T = Record<string, unknown>>(
  path: string,
  call: AdminCall = {},
): Promise<AdminReply<T>> {
  const res = await adminFetch(path, call);
  const text = await res.text();
  return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T, text };
}

/** Expects an OpenAI-shaped error with this status, type and code; returns the error for more checks. */
export async function expectAdminError(
  res: Response,
  status: number,
  expected: { type: string; code: string; param?: string | null },
): Promise<{ type: string; code: string; message: string; param: string | null }> {
  expect(res.status).toBe(status);
  const error = await readOpenAIError(res);
  expect(error).toMatchObject(expected);
  return error;
}

/** A 400 that names `param`; returns the message. */
export async function expectInvalid(res: Response, param: string): Promise<string> {
  const error = await expectAdminError(res, 400, { type: "invalid_request_error", code: "invalid_request", param });
  return error.message;
}

/** Nothing that must stay secret appears in a response: the given values, stored keys, hashes. */
export function expectNoSecrets(text: string, secrets: string[] = []): void {
  for (const s of secrets) expect(text).not.toContain(s);
  expect(text).not.toContain('"api_key"');
  expect(text).not.toContain("ciphertext");
  expect(text).not.toContain("secret_hash");
}

export interface ProjectReply {
  id: string;
  name: string;
  revision: number;
  created_at: string;
  updated_at: string;
}

export async function createProject(name = uniqueName("project")): Promise<ProjectReply> {
  const reply = await adminCall<ProjectReply>("/projects", { body: { name } });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

export interface ProviderReply {
  id: string;
  name: string;
  type: string;
  base_url: string | null;
  api_key_secret: string | null;
  has_api_key: boolean;
  models: string[];
  prices: Record<string, unknown>;
  settings: Record<string, unknown>;
  revision: number;
  created_at: string;
  updated_at: string;
}

/** An openai-compatible binding at the fake provider, under a fresh name; `fields` override. */
export async function createProvider(fields: Record<string, unknown> = {}): Promise<ProviderReply> {
  const reply = await adminCall<ProviderReply>("/providers", {
    body: {
      name: uniqueName("prov"),
      type: "openai-compatible",
      base_url: fakeBaseUrl(),
      api_key_secret: "FAKE_OPENAI_KEY",
      ...fields,
    },
  });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

export interface VirtualKeyReply {
  id: string;
  project_id: string;
  name: string;
  environment: "live" | "test";
  principal_id: string | null;
  display_prefix: string;
  status: "active" | "revoked";
  expires_at: string | null;
  revoked_at: string | null;
  config: Record<string, unknown> & { providers: string[] };
  revision: number;
  created_at: string;
  updated_at: string;
}

export type CreatedKey = VirtualKeyReply & { secret: string };

/** A key in `projectId` (a fresh project when omitted); `fields` override the body. */
export async function createKey(fields: Record<string, unknown> = {}): Promise<CreatedKey> {
  const projectId = typeof fields.project_id === "string" ? fields.project_id : (await createProject()).id;
  const reply = await adminCall<CreatedKey>("/virtual-keys", {
    body: { project_id: projectId, name: "test key", environment: "test", ...fields },
  });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

/** A key whose fallback chain is `providers`, in order, with a short attempt timeout by default. */
export function keyForChain(
  providers: ProviderReply[],
  fallback: Record<string, unknown> = { max_attempts: 3, attempt_timeout_ms: 1_000 },
): Promise<CreatedKey> {
  return createKey({ config: { providers: providers.map((p) => p.name), fallback } });
}

/** A key whose chain is one fresh fake-provider binding. */
export async function createServingKey(
  config: Record<string, unknown> = {},
): Promise<{ key: CreatedKey; provider: ProviderReply }> {
  const provider = await createProvider();
  const key = await createKey({ config: { providers: [provider.name], ...config } });
  return { key, provider };
}

export interface AuditEntryReply {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: string;
  target_id: string;
  detail: Record<string, unknown>;
}

export async function auditFor(targetId: string): Promise<AuditEntryReply[]> {
  const reply = await adminCall<{ data: AuditEntryReply[] }>(`/audit?target_id=${encodeURIComponent(targetId)}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body.data;
}

/** The actor the audit log records for the test token: `admin:` and the first 8 hex of its SHA-256. */
export async function expectedActor(): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(ADMIN_TOKEN)));
  return `admin:${[...digest.slice(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
