import { env } from "cloudflare:workers";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { d1Unavailable } from "../../src/admin/errors";
import { adminCall, adminRequest, createKey, uniqueName } from "../helpers/admin";
import { D1_TRANSPORT_ERROR, failingDb, logLines } from "../helpers/control-plane";
import { fetchWithEnv, readOpenAIError, REQUEST_ID } from "../helpers/gateway";

/**
 * Issue 11 part 4, item 4: an admin call that meets a D1 that is locked, overloaded or unreachable is
 * a 503 `service_unavailable` naming the control plane and saying what to do, never a 500; a failure
 * that is not the store's (a bug) stays a 500.
 */

// Their error lines are what these tests provoke: kept for the assertions, not printed.
beforeEach(() => void vi.spyOn(console, "error").mockImplementation(() => undefined));
afterEach(() => vi.restoreAllMocks());

/** The real local D1 whose writes (batch, run) fail with `message`; reads work. */
function failingWrites(message: string): D1Database {
  const real = env.DB;
  const fail = () => Promise.reject(new Error(message));
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "batch") return fail;
      if (prop === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          return new Proxy(statement, {
            get(s, p) {
              if (p === "run") return fail;
              if (p === "bind") return (...args: unknown[]) => failingStatement(s.bind(...args), message);
              const value: unknown = Reflect.get(s, p);
              return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(s) : value;
            },
          });
        };
      }
      const value: unknown = Reflect.get(target, prop);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function failingStatement(statement: D1PreparedStatement, message: string): D1PreparedStatement {
  return new Proxy(statement, {
    get(s, p) {
      if (p === "run") return () => Promise.reject(new Error(message));
      const value: unknown = Reflect.get(s, p);
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(s) : value;
    },
  });
}

async function expect503(response: Response, reason: string): Promise<string> {
  expect(response.status).toBe(503);
  expect(response.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
  const error = await readOpenAIError(response);
  expect(error).toMatchObject({ type: "service_unavailable", code: "control_plane_unavailable", param: null });
  expect(error.message).toContain("control plane");
  expect(error.message).toContain(reason);
  expect(error.message).toContain("Retry");
  expect(error.message).toContain("/readyz");
  return error.message;
}

describe("a D1 that cannot answer", () => {
  it("a create on an unreachable D1 is a 503, logged with the request id and no unhandled_error", async () => {
    const errors = vi.spyOn(console, "error");
    const { response } = await fetchWithEnv(adminRequest("/projects", { body: { name: uniqueName("d1-down") } }), {
      DB: failingDb().db,
    });
    const id = response.headers.get("x-langwatch-request-id");
    await expect503(response, "D1 could not be reached");
    expect(logLines(errors, "admin_d1_unavailable").find((l) => l.request_id === id)).toMatchObject({
      reason: "D1 could not be reached",
      error: D1_TRANSPORT_ERROR,
      path: "/admin/v1/projects",
    });
    expect(logLines(errors, "unhandled_error").filter((l) => l.request_id === id)).toEqual([]);
  });

  it("a read on an unreachable D1 is a 503 too", async () => {
    const { response } = await fetchWithEnv(adminRequest("/virtual-keys"), { DB: failingDb().db });
    await expect503(response, "D1 could not be reached");
  });

  it("a write that meets a locked database is a 503; nothing was written, and the same write works once D1 answers", async () => {
    const name = uniqueName("d1-locked");
    const locked = failingWrites("D1_ERROR: database is locked: SQLITE_BUSY");
    const { response } = await fetchWithEnv(adminRequest("/projects", { body: { name } }), { DB: locked });
    await expect503(response, "the database is locked");
    const listed = await adminCall<{ data: { name: string }[] }>("/projects?limit=200");
    expect(listed.body.data.map((p) => p.name)).not.toContain(name);
    expect((await adminCall("/projects", { body: { name } })).status).toBe(201);
  });

  it("a key's PATCH (a read, then a write) on a locked database is a 503", async () => {
    const key = await createKey({ config: { providers: [] } });
    const { response } = await fetchWithEnv(
      adminRequest(`/virtual-keys/${key.id}`, { method: "PATCH", body: { name: "renamed" } }),
      { DB: failingWrites("D1_ERROR: database is locked: SQLITE_BUSY") },
    );
    await expect503(response, "the database is locked");
    const now = await adminCall<{ name: string }>(`/virtual-keys/${key.id}`);
    expect(now.body.name).toBe("test key");
  });

  it("an overloaded D1 is a 503 saying so", async () => {
    const { response } = await fetchWithEnv(
      adminRequest("/providers", {
        body: { name: uniqueName("d1-busy"), type: "openai-compatible", base_url: "https://x.test/v1" },
      }),
      { DB: failingWrites("D1_ERROR: D1 DB is overloaded. Requests queued for too long.") },
    );
    await expect503(response, "D1 is overloaded");
  });

  it("a failure that is not D1's (a broken binding) stays a 500 internal_error, its message not leaked", async () => {
    const broken = {
      prepare: () => {
        throw new TypeError("binding exploded");
      },
    };
    const { response } = await fetchWithEnv(adminRequest("/projects"), { DB: broken });
    expect(response.status).toBe(500);
    const error = await readOpenAIError(response);
    expect(error.code).toBe("internal_error");
    expect(error.message).not.toContain("exploded");
  });
});

describe("which errors are D1 being unavailable", () => {
  it.each([
    ["D1_ERROR: database is locked: SQLITE_BUSY", "the database is locked"],
    ["SQLITE_BUSY", "the database is locked"],
    ["D1_ERROR: D1 DB is overloaded. Requests queued for too long.", "D1 is overloaded"],
    [D1_TRANSPORT_ERROR, "D1 could not be reached"],
    ["Network connection lost.", "D1 could not be reached"],
    ["D1_ERROR: D1 DB storage operation exceeded timeout which caused object to be reset.", "D1 could not be reached"],
    ["D1_ERROR: Internal error in D1 DB storage caused object to be reset.", "D1 reported an error"],
  ])("%s → %s", (message, reason) => {
    expect(d1Unavailable(new Error(message))).toBe(reason);
  });

  it.each([
    ["D1_ERROR: UNIQUE constraint failed: projects.name: SQLITE_CONSTRAINT"],
    ["D1_ERROR: no such table: projects: SQLITE_ERROR"],
    ['D1_TYPE_ERROR: Type "object" not supported for value "[object Object]"'],
    ["binding exploded"],
    ["Cannot read properties of undefined (reading 'prepare')"],
  ])("%s is not", (message) => {
    expect(d1Unavailable(new Error(message))).toBeNull();
  });

  it("nor is a thrown value that is not an Error", () => {
    expect(d1Unavailable("D1_ERROR: database is locked")).toBeNull();
  });
});
