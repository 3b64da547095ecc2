import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { run as runCli } from "../../cli/main.mjs";
import { useCli } from "./support/cli";
import { useStack } from "./support/stack";

/**
 * `faregate budgets …` as an operator runs it, against `wrangler dev` of the real gateway in front of
 * the fake provider: budgets created, listed with the spend real requests settled, tightened until
 * requests are refused, and deleted; plus the request each command sends.
 */

interface Budget {
  id: string;
  scope: string;
  scope_id: string;
  window: string;
  limit_usd: string;
  on_breach: string;
  spent_usd: string | null;
  reserved_usd: string | null;
  resets_at: string | null;
}

const PROVIDER_KEY = `sk-fake-${randomBytes(12).toString("hex")}`;
const MODEL = "faregate-e2e-model";
/**
 * The fake provider reports 11 prompt tokens (3 of them cached) and 7 completion tokens. At $1000/Mtok
 * in and out and $100/Mtok for cache reads: 8 × 1000 + 3 × 100 + 7 × 1000 µUSD per million → 15 300 µUSD.
 */
const PRICES = { [MODEL]: { input_per_mtok: "1000", output_per_mtok: "1000", cache_read_per_mtok: "100" } };
const COST_PER_REQUEST = "0.015300";

const stack = useStack("e2e-cli-budgets", PROVIDER_KEY, () => ({
  project: "e2e-cli-budgets-seed",
  providers: [],
  keys: [],
}));
const { faregate, faregateJson } = useCli(stack);

async function chat(secret: string): Promise<Response> {
  return fetch(`${stack.gatewayUrl()}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hello" }], max_tokens: 7 }),
  });
}

/** `budgets list --format json` until `done` holds (settlement runs after the response), or 15 s. */
async function listUntil(args: string[], done: (budgets: Budget[]) => boolean): Promise<Budget[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const budgets = await faregateJson<Budget[]>(["budgets", "list", ...args]);
    if (done(budgets) || Date.now() > deadline) return budgets;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("an operator's budgets, through the CLI", () => {
  let projectId = "";
  let keyId = "";
  let secret = "";
  let projectBudget: Budget;
  let keyBudget: Budget;

  it("sets up a project, a priced provider binding and a key", async () => {
    projectId = (await faregateJson<{ id: string }>(["projects", "create", "--name", "budgets-e2e"])).id;
    const provider = await faregate(
      [
        "providers",
        "create",
        "--name",
        "fake",
        "--type",
        "openai-compatible",
        "--base-url",
        `${stack.fakeUrl()}/v1`,
        "--models",
        MODEL,
        "--prices-json",
        JSON.stringify(PRICES),
        "--api-key-stdin",
      ],
      { stdin: PROVIDER_KEY },
    );
    expect(provider.code, provider.stderr).toBe(0);
    const key = await faregateJson<{ id: string; secret: string }>([
      "vk",
      "create",
      "--project",
      projectId,
      "--name",
      "spender",
      "--environment",
      "test",
      "--config-json",
      '{"providers":["fake"]}',
    ]);
    keyId = key.id;
    secret = key.secret;
  });

  it("creates a project budget and a key budget", async () => {
    projectBudget = await faregateJson<Budget>([
      "budgets",
      "create",
      "--scope",
      "project",
      "--scope-id",
      projectId,
      "--window",
      "month",
      "--limit-usd",
      "1",
    ]);
    expect(projectBudget).toMatchObject({
      scope: "project",
      scope_id: projectId,
      window: "month",
      limit_usd: "1.000000",
      on_breach: "block",
      spent_usd: "0.000000",
    });
    keyBudget = await faregateJson<Budget>([
      "budgets",
      "create",
      "--scope",
      "virtual_key",
      "--scope-id",
      keyId,
      "--window",
      "total",
      "--limit-usd",
      "5",
      "--on-breach",
      "warn",
    ]);
    expect(keyBudget).toMatchObject({ window: "total", on_breach: "warn", resets_at: null });
  });

  it("list --format json shows the spend of real requests, the limit and the reset time", async () => {
    const before = new Date();
    expect((await chat(secret)).status).toBe(200);
    expect((await chat(secret)).status).toBe(200);
    const twice = (Number(COST_PER_REQUEST) * 2).toFixed(6);
    const budgets = await listUntil([], (all) => all.filter((b) => b.spent_usd === twice).length === 2);
    const byId = new Map(budgets.map((b) => [b.id, b]));
    expect(byId.get(projectBudget.id)).toMatchObject({
      spent_usd: twice,
      reserved_usd: "0.000000",
      limit_usd: "1.000000",
    });
    // The start of the next UTC month, as of when the list ran (between `before` and now: either one
    // when the test straddles a month's end).
    const nextMonth = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    expect([nextMonth(before), nextMonth(new Date())]).toContain(
      Date.parse(byId.get(projectBudget.id)?.resets_at ?? ""),
    );
    expect(byId.get(keyBudget.id)).toMatchObject({ spent_usd: twice, resets_at: null });

    const filtered = await faregateJson<Budget[]>(["budgets", "list", "--scope", "virtual_key", "--scope-id", keyId]);
    expect(filtered.map((b) => b.id)).toEqual([keyBudget.id]);
  });

  it("list as a table shows one line per budget with its spend", async () => {
    const table = await faregate(["budgets", "list", "--scope-id", projectId]);
    expect(table.code).toBe(0);
    const [header, ...rows] = table.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^ID +SCOPE +SCOPE_ID +WINDOW +LIMIT_USD +SPENT_USD +RESERVED_USD +ON_BREACH +RESETS_AT$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      new RegExp(
        `^${projectBudget.id} +project +${projectId} +month +1\\.000000 +0\\.030600 +0\\.000000 +block +\\d{4}-`,
      ),
    );
  });

  it("get shows one budget", async () => {
    const shown = await faregate(["budgets", "get", keyBudget.id]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^spent_usd +0\.030600$/m);
    expect(shown.stdout).toMatch(/^resets_at +-$/m);
  });

  it("update lowers the limit below the spend, and the next request is refused (402) naming project:month", async () => {
    const updated = await faregateJson<Budget>(["budgets", "update", projectBudget.id, "--limit-usd", "0.03"]);
    expect(updated).toMatchObject({ limit_usd: "0.030000", spent_usd: "0.030600" });
    const res = await chat(secret);
    expect(res.status).toBe(402);
    const body = (await res.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("budget_exceeded");
    expect(body.error.message).toContain("project:month");
  });

  it("update --limit, as the runbook writes it, raises the limit and requests pass again", async () => {
    const raised = await faregate(["budgets", "update", projectBudget.id, "--limit", "1000", "--format", "json"]);
    expect(raised.code, raised.stderr).toBe(0);
    expect(JSON.parse(raised.stdout)).toMatchObject({ limit_usd: "1000.000000" });
    expect((await chat(secret)).status).toBe(200);
    const lowered = await faregateJson<Budget>(["gateway-budgets", "update", projectBudget.id, "--limit-usd", "0.03"]);
    expect(lowered).toMatchObject({ limit_usd: "0.030000" });
  });

  it("delete removes the budget, and requests pass again", async () => {
    const result = await faregate(["budgets", "delete", projectBudget.id]);
    expect(result).toEqual({ code: 0, stdout: `Deleted budget ${projectBudget.id}.\n`, stderr: "" });
    expect((await faregate(["budgets", "get", projectBudget.id])).code).toBe(1);
    expect((await chat(secret)).status).toBe(200);
  });

  it("audit list --target shows the budget's writes", async () => {
    const entries = await faregateJson<{ action: string }[]>(["audit", "list", "--target", projectBudget.id]);
    expect(entries.map((e) => e.action).sort()).toEqual([
      "budget.create",
      "budget.delete",
      "budget.update",
      "budget.update",
      "budget.update",
    ]);
  });

  it("a bad limit is the API's 400 naming limit_usd (exit 1); a missing option is a usage error (exit 2)", async () => {
    const bad = await faregate([
      "budgets",
      "create",
      "--scope",
      "principal",
      "--scope-id",
      "someone",
      "--window",
      "day",
      "--limit-usd",
      "1.1234567",
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("(HTTP 400, invalid_request_error/invalid_request, param limit_usd)");
    const usage = await faregate(["budgets", "create", "--scope", "project", "--window", "day", "--limit-usd", "1"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^faregate: --scope-id is required\n/);
  });
});

describe("the requests `budgets` commands send", () => {
  async function sent(
    argv: string[],
  ): Promise<{ method: string; path: string; body: unknown; code: number; stderr: string }> {
    const calls: { method: string; path: string; body: unknown }[] = [];
    const fakeFetch = async (input: string | URL | Request, init: RequestInit = {}) => {
      const url = new URL(String(input));
      calls.push({
        method: init.method ?? "GET",
        path: `${url.pathname}${url.search}`,
        body: typeof init.body === "string" ? (JSON.parse(init.body) as unknown) : undefined,
      });
      return new Response(JSON.stringify({ data: [], id: "bdg_1" }), {
        headers: { "content-type": "application/json" },
      });
    };
    let stderr = "";
    const code = await runCli(argv, {
      env: { FAREGATE_URL: "http://127.0.0.1:8787", FAREGATE_ADMIN_TOKEN: "token-0123456789" },
      stdin: Readable.from([]),
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      fetch: fakeFetch as typeof fetch,
    });
    return { ...(calls[0] ?? { method: "", path: "", body: undefined }), code, stderr };
  }

  it.each([
    [
      ["budgets", "list", "--scope", "project", "--scope-id", "prj_1", "--limit", "5"],
      "GET",
      "/admin/v1/budgets?scope=project&scope_id=prj_1&limit=5",
      undefined,
    ],
    [["budgets", "get", "bdg_1"], "GET", "/admin/v1/budgets/bdg_1", undefined],
    [
      ["budgets", "create", "--scope", "principal", "--scope-id", "u 1", "--window", "week", "--limit-usd", "12.50"],
      "POST",
      "/admin/v1/budgets",
      { scope: "principal", scope_id: "u 1", window: "week", limit_usd: "12.50" },
    ],
    [["budgets", "update", "bdg_1", "--on-breach", "warn"], "PATCH", "/admin/v1/budgets/bdg_1", { on_breach: "warn" }],
    // The runbook's command: on update, --limit is the new limit (paging is list's).
    [["budgets", "update", "bdg_1", "--limit", "1000"], "PATCH", "/admin/v1/budgets/bdg_1", { limit_usd: "1000" }],
    [
      ["gateway-budgets", "update", "bdg_1", "--limit", "1000"],
      "PATCH",
      "/admin/v1/budgets/bdg_1",
      { limit_usd: "1000" },
    ],
    [
      ["budgets", "update", "bdg_1", "--limit-usd", "12.50", "--on-breach", "block"],
      "PATCH",
      "/admin/v1/budgets/bdg_1",
      { limit_usd: "12.50", on_breach: "block" },
    ],
    [
      ["budgets", "update", "bdg_1", "--limit", "7", "--limit-usd", "7"],
      "PATCH",
      "/admin/v1/budgets/bdg_1",
      { limit_usd: "7" },
    ],
    [["budgets", "delete", "bdg_1"], "DELETE", "/admin/v1/budgets/bdg_1", undefined],
  ])("%j → %s %s", async (argv, method, path, body) => {
    const request = await sent(argv);
    expect(request).toEqual({ method, path, body, code: 0, stderr: "" });
  });

  it.each([
    [["budgets", "create", "--scope", "team", "--scope-id", "x", "--window", "day", "--limit-usd", "1"], "--scope"],
    [
      ["budgets", "create", "--scope", "project", "--scope-id", "x", "--window", "year", "--limit-usd", "1"],
      "--window",
    ],
    [["budgets", "update", "bdg_1"], "nothing to update"],
    [["budgets", "update", "bdg_1", "--on-breach", "stop"], "--on-breach"],
    [["budgets", "update", "bdg_1", "--limit", "7", "--limit-usd", "8"], "disagree"],
    [["budgets", "update", "bdg_1", "--limit"], "--limit"],
  ])("%j is refused before anything is sent, naming %s", async (argv, named) => {
    const request = await sent(argv);
    expect(request).toMatchObject({ code: 2, method: "" });
    expect(request.stderr).toContain(named);
  });
});
