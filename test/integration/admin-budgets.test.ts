import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { readStoredBundle } from "../../src/auth/bundle-store";
import type { BudgetRef } from "../../src/contract/bundle";
import { refreshBundles } from "../../src/control-plane/refresh";
import { CURSOR_KEY, WATERMARK_KEY } from "../../src/contract/storage-names";
import { createLogger } from "../../src/lib/log";
import {
  adminCall,
  adminFetch,
  adminRequest,
  auditFor,
  createKey,
  createProject,
  createProvider,
  expectAdminError,
  expectedActor,
  expectInvalid,
  expectNoSecrets,
  uniqueName,
  type CreatedKey,
} from "../helpers/admin";
import { logLines, secretHash, testConfig } from "../helpers/control-plane";
import { fetchWithEnv, gatewayFetch } from "../helpers/gateway";

/** /admin/v1/budgets (contract §6, §7): validation, audit, republishing, and the live spend. */

afterEach(() => vi.restoreAllMocks());

interface BudgetReply {
  id: string;
  scope: string;
  scope_id: string;
  window: string;
  limit_usd: string;
  on_breach: string;
  spent_usd: string | null;
  reserved_usd: string | null;
  resets_at: string | null;
  revision: number;
  created_at: string;
  updated_at: string;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const UNKNOWN = "bdg_01HZZZZZZZZZZZZZZZZZZZZZZZ";

async function create(body: Record<string, unknown>): Promise<BudgetReply> {
  const reply = await adminCall<BudgetReply>("/budgets", { body });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

async function get(id: string): Promise<BudgetReply> {
  const reply = await adminCall<BudgetReply>(`/budgets/${id}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}

async function list(query = ""): Promise<BudgetReply[]> {
  const reply = await adminCall<{ data: BudgetReply[] }>(`/budgets${query}`);
  expect(reply.status, reply.text).toBe(200);
  return reply.body.data;
}

/** The budgets the key's bundle in KV carries (what the hot path enforces). */
async function bundleBudgets(key: CreatedKey): Promise<BudgetRef[]> {
  const stored = await readStoredBundle(env.AUTH_CACHE, env.LW_GATEWAY_JWT_SECRET, await secretHash(key.secret));
  if (stored.kind !== "hit") throw new Error(`no bundle in KV for ${key.id}: ${stored.kind}`);
  return stored.bundle.budgets;
}

const keyLimiter = (vkId: string) => env.KEY_LIMITER.get(env.KEY_LIMITER.idFromName(vkId));
const budgetCounter = (name: string) => env.BUDGET_COUNTER.get(env.BUDGET_COUNTER.idFromName(name));

describe("POST /budgets", () => {
  it("creates a budget: 201 with the limit as a 6-place decimal, nothing spent, and when it resets", async () => {
    const project = await createProject();
    const before = new Date();
    const budget = await create({
      scope: "project",
      scope_id: project.id,
      window: "month",
      limit_usd: "100.5",
      on_breach: "warn",
    });
    expect(budget.id).toMatch(/^bdg_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(budget).toMatchObject({
      scope: "project",
      scope_id: project.id,
      window: "month",
      limit_usd: "100.500000",
      on_breach: "warn",
      spent_usd: "0.000000",
      reserved_usd: "0.000000",
      revision: 1,
    });
    const nextMonth = Date.UTC(before.getUTCFullYear(), before.getUTCMonth() + 1, 1);
    expect(Date.parse(budget.resets_at ?? "")).toBe(nextMonth);
    expect(budget.created_at).toMatch(ISO);
    expect(Object.keys(budget).sort()).toEqual(
      [
        "created_at",
        "id",
        "limit_usd",
        "on_breach",
        "reserved_usd",
        "resets_at",
        "revision",
        "scope",
        "scope_id",
        "spent_usd",
        "updated_at",
        "window",
      ].sort(),
    );
  });

  it("on_breach defaults to block; a total budget never resets", async () => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("user"), window: "total", limit_usd: "1" });
    expect(budget).toMatchObject({ on_breach: "block", resets_at: null, limit_usd: "1.000000" });
  });

  it("accepts a virtual key by id, and never shows its secret", async () => {
    const key = await createKey();
    const reply = await adminCall<BudgetReply>("/budgets", {
      body: { scope: "virtual_key", scope_id: key.id, window: "day", limit_usd: "0.000001" },
    });
    expect(reply.status).toBe(201);
    expect(reply.body.limit_usd).toBe("0.000001");
    expectNoSecrets(reply.text, [key.secret]);
  });

  it.each([
    ["scope missing", { scope_id: "x", window: "day", limit_usd: "1" }, "scope", /"scope" is required/],
    ["an unknown scope", { scope: "team", scope_id: "x", window: "day", limit_usd: "1" }, "scope", /one of "project"/],
    ["scope_id missing", { scope: "principal", window: "day", limit_usd: "1" }, "scope_id", /is required/],
    ["scope_id empty", { scope: "principal", scope_id: "", window: "day", limit_usd: "1" }, "scope_id", /at least 1/],
    ["an unknown window", { scope: "principal", scope_id: "x", window: "year", limit_usd: "1" }, "window", /"month"/],
    ["limit_usd missing", { scope: "principal", scope_id: "x", window: "day" }, "limit_usd", /is required/],
    [
      "limit_usd a number",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: 10 },
      "limit_usd",
      /must be a string/,
    ],
    [
      "limit_usd zero",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "0.000000" },
      "limit_usd",
      /more than zero/,
    ],
    [
      "limit_usd negative",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "-5" },
      "limit_usd",
      /decimal string/,
    ],
    [
      "limit_usd with 7 decimals",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "1.0000001" },
      "limit_usd",
      /at most 6 decimal places/,
    ],
    [
      "limit_usd in exponent form",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "1e3" },
      "limit_usd",
      /decimal string/,
    ],
    [
      "limit_usd too large",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "1000000000" },
      "limit_usd",
      /decimal string/,
    ],
    [
      "an unknown on_breach",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "1", on_breach: "alert" },
      "on_breach",
      /"warn"/,
    ],
    [
      "an unknown field",
      { scope: "principal", scope_id: "x", window: "day", limit_usd: "1", currency: "EUR" },
      "currency",
      /unknown field "currency"/,
    ],
  ])("400 for %s, naming the field", async (_, body, param, message) => {
    expect(await expectInvalid(await adminFetch("/budgets", { body }), param)).toMatch(message);
  });

  it("400 when scope_id names no project, or no key, or a revoked key", async () => {
    const unknownProject = await expectInvalid(
      await adminFetch("/budgets", {
        body: { scope: "project", scope_id: "prj_01HZZZZZZZZZZZZZZZZZZZZZZZ", window: "day", limit_usd: "1" },
      }),
      "scope_id",
    );
    expect(unknownProject).toContain("No project");
    const unknownKey = await expectInvalid(
      await adminFetch("/budgets", {
        body: { scope: "virtual_key", scope_id: "vk_01HZZZZZZZZZZZZZZZZZZZZZZZ", window: "day", limit_usd: "1" },
      }),
      "scope_id",
    );
    expect(unknownKey).toContain("No virtual key");
    // A project id is not a key id: scopes do not mix.
    const project = await createProject();
    await expectInvalid(
      await adminFetch("/budgets", {
        body: { scope: "virtual_key", scope_id: project.id, window: "day", limit_usd: "1" },
      }),
      "scope_id",
    );
    const key = await createKey({ project_id: project.id });
    expect((await adminFetch(`/virtual-keys/${key.id}/revoke`, { method: "POST" })).status).toBe(200);
    const revoked = await expectInvalid(
      await adminFetch("/budgets", { body: { scope: "virtual_key", scope_id: key.id, window: "day", limit_usd: "1" } }),
      "scope_id",
    );
    expect(revoked).toContain("revoked");
  });

  it("409 for a second budget on the same scope, id and window, naming the first; other windows are fine", async () => {
    const project = await createProject();
    const first = await create({ scope: "project", scope_id: project.id, window: "day", limit_usd: "5" });
    const res = await adminFetch("/budgets", {
      body: { scope: "project", scope_id: project.id, window: "day", limit_usd: "9", on_breach: "warn" },
    });
    const error = await expectAdminError(res, 409, { type: "conflict", code: "budget_exists" });
    expect(error.message).toContain(first.id);
    await create({ scope: "project", scope_id: project.id, window: "week", limit_usd: "9" });
    // The same id under another scope is another budget.
    await create({ scope: "principal", scope_id: project.id, window: "day", limit_usd: "9" });
  });

  it("audits the create with who did it and the budget's terms", async () => {
    const principal = uniqueName("svc");
    const budget = await create({ scope: "principal", scope_id: principal, window: "week", limit_usd: "12.34" });
    const [entry] = await auditFor(budget.id);
    expect(entry).toMatchObject({
      action: "budget.create",
      actor: await expectedActor(),
      target_type: "budget",
      target_id: budget.id,
      detail: { scope: "principal", scope_id: principal, window: "week", limit_usd: "12.340000", on_breach: "block" },
    });
  });

  it("needs the admin token", async () => {
    const res = await adminFetch("/budgets", { authorization: null });
    await expectAdminError(res, 401, { type: "invalid_api_key", code: "missing_admin_token" });
  });
});

describe("GET /budgets and /budgets/:id", () => {
  it("lists newest first, filtered by scope and scope_id", async () => {
    const project = await createProject();
    const day = await create({ scope: "project", scope_id: project.id, window: "day", limit_usd: "1" });
    const month = await create({ scope: "project", scope_id: project.id, window: "month", limit_usd: "2" });
    await create({ scope: "principal", scope_id: project.id, window: "day", limit_usd: "3" });

    const byId = await list(`?scope_id=${project.id}`);
    expect(byId).toHaveLength(3);
    const byScope = await list(`?scope=project&scope_id=${project.id}`);
    expect(byScope.map((b) => b.id)).toEqual([month.id, day.id]);
    expect(byScope.every((b) => b.spent_usd === "0.000000" && b.reserved_usd === "0.000000")).toBe(true);
    expect((await list("?scope=project&limit=1")).length).toBe(1);
  });

  it.each([
    ["?scope=team", "scope"],
    ["?limit=0", "limit"],
    ["?scope_id=", "scope_id"],
    ["?owner=me", "owner"],
  ])("400 for %s", async (query, param) => {
    await expectInvalid(await adminFetch(`/budgets${query}`), param);
  });

  it("404 for an unknown id", async () => {
    await expectAdminError(await adminFetch(`/budgets/${UNKNOWN}`), 404, {
      type: "not_found",
      code: "budget_not_found",
    });
  });
});

describe("live spend from the Durable Objects", () => {
  it("a virtual_key budget shows what its KeyLimiter settled and what it still holds", async () => {
    const key = await createKey();
    const budget = await create({ scope: "virtual_key", scope_id: key.id, window: "day", limit_usd: "10" });
    const charge = {
      id: budget.id,
      scope: "virtual_key" as const,
      window: "day" as const,
      limitMicros: 10_000_000,
      onBreach: "block" as const,
    };
    const limits = { rpm: null, rpd: null, tpm: null };
    const settled = await keyLimiter(key.id).admit({
      requestId: "grq_settled",
      limits,
      tokens: 0,
      budgets: [{ ...charge, reserveMicros: 2_000_000 }],
    });
    expect(settled.ok).toBe(true);
    await keyLimiter(key.id).settle({ requestId: "grq_settled", tokens: 0, costMicros: 1_234_567, record: null });
    const held = await keyLimiter(key.id).admit({
      requestId: "grq_held",
      limits,
      tokens: 0,
      budgets: [{ ...charge, reserveMicros: 500_000 }],
    });
    expect(held.ok).toBe(true);

    const now = new Date();
    const shown = await get(budget.id);
    expect(shown).toMatchObject({ spent_usd: "1.234567", reserved_usd: "0.500000", limit_usd: "10.000000" });
    expect(Date.parse(shown.resets_at ?? "")).toBe(
      Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1),
    );
    const [listed] = await list(`?scope=virtual_key&scope_id=${key.id}`);
    expect(listed).toMatchObject({ id: budget.id, spent_usd: "1.234567", reserved_usd: "0.500000" });
  });

  it("project and principal budgets show their BudgetCounter's counters, each budget its own", async () => {
    const project = await createProject();
    const principal = uniqueName("person");
    const [projectDay, projectTotal, person] = await Promise.all([
      create({ scope: "project", scope_id: project.id, window: "day", limit_usd: "3" }),
      create({ scope: "project", scope_id: project.id, window: "total", limit_usd: "30" }),
      create({ scope: "principal", scope_id: principal, window: "hour", limit_usd: "1", on_breach: "warn" }),
    ]);
    const charge = (b: BudgetReply, reserveMicros: number) => ({
      id: b.id,
      scope: b.scope as "project" | "principal",
      window: b.window as "day" | "total" | "hour",
      limitMicros: 1_000_000_000,
      onBreach: "block" as const,
      reserveMicros,
    });
    const projectObject = budgetCounter(`project:${project.id}`);
    await projectObject.admit({
      requestId: "grq_a",
      budgets: [charge(projectDay, 700_000), charge(projectTotal, 700_000)],
    });
    await projectObject.settle({ requestId: "grq_a", costMicros: 250_000 });
    await projectObject.admit({ requestId: "grq_b", budgets: [charge(projectTotal, 40)] });
    await budgetCounter(`principal:${principal}`).admit({ requestId: "grq_c", budgets: [charge(person, 99)] });

    const listed = new Map((await list(`?scope_id=${project.id}`)).map((b) => [b.id, b]));
    expect(listed.get(projectDay.id)).toMatchObject({ spent_usd: "0.250000", reserved_usd: "0.000000" });
    expect(listed.get(projectTotal.id)).toMatchObject({
      spent_usd: "0.250000",
      reserved_usd: "0.000040",
      resets_at: null,
    });
    expect(await get(person.id)).toMatchObject({ spent_usd: "0.000000", reserved_usd: "0.000099" });
  });

  it("shows the budget without counters (null) when its object cannot be read, and logs why", async () => {
    const principal = uniqueName("down");
    const budget = await create({ scope: "principal", scope_id: principal, window: "week", limit_usd: "1" });
    const warn = vi.spyOn(console, "warn");
    const broken = {
      idFromName: (name: string) => env.BUDGET_COUNTER.idFromName(name),
      get: () => ({ getState: () => Promise.reject(new Error("object unreachable")) }),
    };
    const { response } = await fetchWithEnv(adminRequest(`/budgets/${budget.id}`), { BUDGET_COUNTER: broken });
    expect(response.status).toBe(200);
    const shown = await response.json<BudgetReply>();
    expect(shown).toMatchObject({ id: budget.id, spent_usd: null, reserved_usd: null, limit_usd: "1.000000" });
    // Still says when the week ends (Monday 00:00 UTC).
    const resets = new Date(shown.resets_at ?? "");
    expect(resets.getUTCDay()).toBe(1);
    expect(resets.getUTCHours()).toBe(0);
    expect(logLines(warn, "budget_state_unavailable")[0]).toMatchObject({ object: `principal:${principal}` });
  });
});

describe("PATCH /budgets/:id", () => {
  it("changes the limit and on_breach, bumps the revision, and audits old and new terms", async () => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("p"), window: "day", limit_usd: "5" });
    const reply = await adminCall<BudgetReply>(`/budgets/${budget.id}`, {
      method: "PATCH",
      body: { limit_usd: "7.25", on_breach: "warn" },
    });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ limit_usd: "7.250000", on_breach: "warn", revision: 2, spent_usd: "0.000000" });
    expect(await get(budget.id)).toMatchObject({ limit_usd: "7.250000", on_breach: "warn", revision: 2 });
    const [entry] = await auditFor(budget.id);
    expect(entry).toMatchObject({
      action: "budget.update",
      detail: {
        fields: ["limit_usd", "on_breach"],
        limit_usd: { from: "5.000000", to: "7.250000" },
        on_breach: { from: "block", to: "warn" },
      },
    });
  });

  it("a body that changes nothing (same values, or the object as read) is a no-op: no revision, no audit", async () => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("p"), window: "day", limit_usd: "5" });
    for (const body of [{}, { limit_usd: "5.00" }, { scope: budget.scope, scope_id: budget.scope_id, window: "day" }]) {
      const reply = await adminCall<BudgetReply>(`/budgets/${budget.id}`, { method: "PATCH", body });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.revision).toBe(1);
    }
    expect((await auditFor(budget.id)).map((e) => e.action)).toEqual(["budget.create"]);
  });

  it.each([
    [{ scope: "project" }, "scope"],
    [{ scope_id: "someone-else" }, "scope_id"],
    [{ window: "month" }, "window"],
  ])("400 for moving a budget (%j): create a new one instead", async (body, param) => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("p"), window: "day", limit_usd: "5" });
    const message = await expectInvalid(await adminFetch(`/budgets/${budget.id}`, { method: "PATCH", body }), param);
    expect(message).toContain("cannot change");
  });

  it.each([
    [{ limit_usd: "0" }, "limit_usd"],
    [{ limit_usd: 5 }, "limit_usd"],
    [{ on_breach: "stop" }, "on_breach"],
    [{ limit: "5" }, "limit"],
  ])("400 for %j", async (body, param) => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("p"), window: "day", limit_usd: "5" });
    await expectInvalid(await adminFetch(`/budgets/${budget.id}`, { method: "PATCH", body }), param);
  });

  it("404 for an unknown id", async () => {
    await expectAdminError(
      await adminFetch(`/budgets/${UNKNOWN}`, { method: "PATCH", body: { limit_usd: "1" } }),
      404,
      {
        type: "not_found",
        code: "budget_not_found",
      },
    );
  });
});

describe("DELETE /budgets/:id", () => {
  it("deletes (204), audits, and then the budget is gone", async () => {
    const budget = await create({ scope: "principal", scope_id: uniqueName("p"), window: "hour", limit_usd: "2" });
    const res = await adminFetch(`/budgets/${budget.id}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    await expectAdminError(await adminFetch(`/budgets/${budget.id}`), 404, {
      type: "not_found",
      code: "budget_not_found",
    });
    await expectAdminError(await adminFetch(`/budgets/${budget.id}`, { method: "DELETE" }), 404, {
      type: "not_found",
      code: "budget_not_found",
    });
    const [entry] = await auditFor(budget.id);
    expect(entry).toMatchObject({ action: "budget.delete", detail: { window: "hour", limit_usd: "2.000000" } });
  });
});

describe("bundles follow budget writes", () => {
  it("a write republishes exactly the keys the budget applies to, by scope", async () => {
    const provider = await createProvider();
    const project = await createProject();
    const principal = uniqueName("owner");
    const config = { providers: [provider.name] };
    const [owned, sibling, elsewhere] = await Promise.all([
      createKey({ project_id: project.id, principal_id: principal, config }),
      createKey({ project_id: project.id, config }),
      createKey({ principal_id: principal, config }),
    ]);
    for (const k of [owned, sibling, elsewhere]) expect(await bundleBudgets(k)).toEqual([]);

    const projectBudget = await create({ scope: "project", scope_id: project.id, window: "month", limit_usd: "50" });
    const keyBudget = await create({ scope: "virtual_key", scope_id: owned.id, window: "day", limit_usd: "1.5" });
    const principalBudget = await create({
      scope: "principal",
      scope_id: principal,
      window: "week",
      limit_usd: "7",
      on_breach: "warn",
    });

    const ref = (b: BudgetReply, limitMicros: number): BudgetRef => ({
      id: b.id,
      scope: b.scope as BudgetRef["scope"],
      scopeId: b.scope_id,
      window: b.window as BudgetRef["window"],
      limitMicros,
      onBreach: b.on_breach as BudgetRef["onBreach"],
    });
    // Ordered by scope (project, virtual_key, principal), then window.
    expect(await bundleBudgets(owned)).toEqual([
      ref(projectBudget, 50_000_000),
      ref(keyBudget, 1_500_000),
      ref(principalBudget, 7_000_000),
    ]);
    expect(await bundleBudgets(sibling)).toEqual([ref(projectBudget, 50_000_000)]);
    expect(await bundleBudgets(elsewhere)).toEqual([ref(principalBudget, 7_000_000)]);

    await adminCall(`/budgets/${projectBudget.id}`, { method: "PATCH", body: { limit_usd: "60", on_breach: "warn" } });
    expect(await bundleBudgets(sibling)).toEqual([{ ...ref(projectBudget, 60_000_000), onBreach: "warn" }]);

    expect((await adminFetch(`/budgets/${principalBudget.id}`, { method: "DELETE" })).status).toBe(204);
    expect(await bundleBudgets(elsewhere)).toEqual([]);
    expect((await bundleBudgets(owned)).map((b) => b.id)).toEqual([projectBudget.id, keyBudget.id]);
  });

  it("the cron republishes keys whose budget changed in D1 without the admin API (budgets.updated_at)", async () => {
    const provider = await createProvider();
    const key = await createKey({ config: { providers: [provider.name] } });
    const budget = await create({ scope: "virtual_key", scope_id: key.id, window: "day", limit_usd: "1" });
    const W = Date.now() + 10 * 60_000;
    const setWatermark = (at: number) =>
      env.DB.batch([
        env.DB.prepare(
          "INSERT INTO control_plane_state (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        ).bind(WATERMARK_KEY, String(at)),
        env.DB.prepare("DELETE FROM control_plane_state WHERE key = ?").bind(CURSOR_KEY),
      ]);
    await env.DB.batch([
      env.DB.prepare("UPDATE virtual_keys SET updated_at = ? WHERE updated_at >= ?").bind(W - 1_000, W),
      env.DB.prepare("UPDATE projects SET updated_at = ? WHERE updated_at >= ?").bind(W - 1_000, W),
      env.DB.prepare("UPDATE providers SET updated_at = ? WHERE updated_at >= ?").bind(W - 1_000, W),
      env.DB.prepare("UPDATE budgets SET updated_at = ? WHERE updated_at >= ?").bind(W - 1_000, W),
    ]);
    await setWatermark(W);
    // An operator's direct change (or a write whose inline publish failed).
    await env.DB.prepare(
      "UPDATE budgets SET limit_micros = 4000000, revision = revision + 1, updated_at = ? WHERE id = ?",
    )
      .bind(W + 1_000, budget.id)
      .run();
    try {
      const result = await refreshBundles(env, testConfig(), createLogger({ test: "admin-budgets" }), W + 60_000);
      expect(result).toMatchObject({ keys: 1, published: 1, watermark: W + 1_000 });
      expect((await bundleBudgets(key))[0]).toMatchObject({ id: budget.id, limitMicros: 4_000_000 });
    } finally {
      // Leave no row stamped in the future for the other cron tests sharing this D1.
      await env.DB.prepare("UPDATE budgets SET updated_at = ? WHERE id = ?").bind(Date.now(), budget.id).run();
      await setWatermark(0);
    }
  });
});

describe("/readyz price warnings", () => {
  it("names declared models without a known price; readiness stays ok", async () => {
    // Named to sort first: the warnings list the first bindings by name, and D1 is shared by all tests.
    const unpriced = await createProvider({ name: uniqueName("0-readyz"), models: ["gpt-4o-mini", "house-model-x"] });
    const free = await createProvider({ models: ["house-model-y"], settings: { unpriced: "free" } });
    const overridden = await createProvider({
      models: ["house-model-z"],
      prices: { "house-model-z": { input_per_mtok: "1", output_per_mtok: "2" } },
    });
    const priced = await createProvider({ type: "openai", base_url: null, models: ["gpt-4o-mini"] });
    const res = await gatewayFetch("/readyz");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; checks: { config: { status: string; warnings?: string[] } } }>();
    expect(body.checks.config.status).toBe("ok");
    const warnings = body.checks.config.warnings ?? [];
    const line = warnings.find((w) => w.includes(`"${unpriced.name}"`));
    expect(line).toContain('"gpt-4o-mini", "house-model-x"');
    expect(line).toContain('"prices"');
    expect(line).toContain('settings.unpriced to "free"');
    for (const quiet of [free, overridden, priced]) {
      expect(warnings.some((w) => w.includes(`"${quiet.name}"`))).toBe(false);
    }
  });
});
