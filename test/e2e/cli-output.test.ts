import { describe, expect, it } from "vitest";
import { RESOURCES } from "../../cli/commands.mjs";
import { cellText, formatRecord, formatTable, printable, renderResult, STORE_SECRET_NOTE } from "../../cli/output.mjs";

/** How `faregate` prints admin API answers: tables, records, JSON, and secrets exactly once. */

const SECRET = "lw_vk_test_0123456789ABCDEFGHJKMNPQRS";

const key = {
  id: "vk_01J0000000000000000000000A",
  project_id: "prj_01J0000000000000000000000B",
  name: "ci",
  environment: "test",
  principal_id: null,
  display_prefix: SECRET.slice(0, 16),
  status: "active",
  expires_at: null,
  revoked_at: null,
  config: { providers: ["fake"], rate_limits: { rpm: 60, rpd: null, tpm: null } },
  revision: 1,
  created_at: "2026-11-20T10:00:00.000Z",
  updated_at: "2026-11-20T10:00:00.000Z",
};

const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

describe("cells", () => {
  it("shows null as -, lists comma-joined, objects as compact JSON", () => {
    expect(cellText(null)).toBe("-");
    expect(cellText(undefined)).toBe("-");
    expect(cellText(["a", "b"])).toBe("a,b");
    expect(cellText([])).toBe("-");
    expect(cellText({ fields: ["name"] })).toBe('{"fields":["name"]}');
    expect(cellText(3)).toBe("3");
    expect(cellText(false)).toBe("false");
  });

  it("escapes control characters so a name cannot drive the terminal", () => {
    expect(printable("evil\u001b[2Jname\n")).toBe("evil\\u001b[2Jname\\u000a");
    expect(cellText("a\u009bb")).toBe("a\\u009bb");
  });
});

describe("tables", () => {
  it("aligns fixed columns under upper-case headers", () => {
    const rows = [
      { ...key, name: "a-much-longer-name" },
      { ...key, id: "vk_2", status: "revoked", expires_at: "2027-01-01T00:00:00.000Z" },
    ];
    const lines = formatTable(RESOURCES["virtual-keys"].columns, rows).split("\n");
    expect(lines[0]).toMatch(/^ID +PROJECT_ID +NAME +STATUS +DISPLAY_PREFIX +ENVIRONMENT +EXPIRES_AT$/);
    expect(lines).toHaveLength(3);
    const nameColumn = lines[0]!.indexOf("NAME");
    expect(lines[1]!.slice(nameColumn)).toMatch(/^a-much-longer-name +active +lw_vk_test_01234 +test +-$/);
    expect(lines[2]!.slice(nameColumn)).toMatch(/^ci +revoked +lw_vk_test_01234 +test +2027-01-01T00:00:00.000Z$/);
    expect(lines[2]!.startsWith("vk_2 ")).toBe(true);
  });

  it("says (none) under the headers of an empty list", () => {
    expect(formatTable(RESOURCES.projects.columns, [])).toBe("ID  NAME  REVISION  CREATED_AT  UPDATED_AT\n(none)");
  });

  it("shows where a provider's key comes from, never the key", () => {
    const row = (fields: Record<string, unknown>) => ({
      id: "prv_1",
      name: "p",
      type: "openai",
      base_url: null,
      models: [],
      ...fields,
    });
    const text = formatTable(RESOURCES.providers.columns, [
      row({ api_key_secret: "OPENAI_API_KEY", has_api_key: false }),
      row({ api_key_secret: null, has_api_key: true }),
      row({ api_key_secret: null, has_api_key: false }),
    ]);
    const apiKeyCells = text
      .split("\n")
      .slice(1)
      .map((line) => line.split(/ {2,}/)[5]);
    expect(apiKeyCells).toEqual(["secret:OPENAI_API_KEY", "stored", "-"]);
  });
});

describe("records", () => {
  it("prints fields in the API's order, with JSON objects pretty-printed and aligned", () => {
    const text = formatRecord({ id: "vk_1", name: "ci", tags: ["a", "b"], empty: {}, config: { providers: ["fake"] } });
    expect(text).toBe(
      [
        "id      vk_1",
        "name    ci",
        'tags    ["a","b"]',
        "empty   {}",
        "config  {",
        '          "providers": [',
        '            "fake"',
        "          ]",
        "        }",
      ].join("\n"),
    );
  });
});

describe("renderResult", () => {
  const vk = RESOURCES["virtual-keys"];

  it("prints a list's data array as JSON, so `| jq '.[]'` works", () => {
    const out = renderResult({ resource: vk, output: "list", format: "json" }, { data: [key] });
    expect(JSON.parse(out.stdout)).toEqual([key]);
    expect(out.stderr).toBe("");
  });

  it("prints one object as JSON, or as a record", () => {
    expect(JSON.parse(renderResult({ resource: vk, output: "record", format: "json" }, key).stdout)).toEqual(key);
    expect(renderResult({ resource: vk, output: "record", format: "table" }, key).stdout).toBe(
      `${formatRecord(key)}\n`,
    );
  });

  it("shows a new secret exactly once, with the note to store it (table)", () => {
    const out = renderResult({ resource: vk, output: "with-secret", format: "table" }, { ...key, secret: SECRET });
    expect(occurrences(out.stdout, SECRET)).toBe(1);
    expect(out.stdout).toContain(`secret  ${SECRET}\n${STORE_SECRET_NOTE}\n`);
    expect(out.stdout).toContain("display_prefix  lw_vk_test_01234");
    expect(out.stderr).toBe("");
  });

  it("keeps JSON output parseable: the secret in the object, the note on stderr", () => {
    const rotated = {
      id: key.id,
      secret: SECRET,
      display_prefix: key.display_prefix,
      previous_secret_expires_at: null,
    };
    const out = renderResult({ resource: vk, output: "with-secret", format: "json" }, rotated);
    expect(JSON.parse(out.stdout)).toEqual(rotated);
    expect(occurrences(out.stdout, SECRET)).toBe(1);
    expect(out.stderr).toBe(`${STORE_SECRET_NOTE}\n`);
  });

  it("confirms a delete", () => {
    const projects = RESOURCES.projects;
    expect(renderResult({ resource: projects, output: "deleted", format: "table", target: "prj_1" }, null).stdout).toBe(
      "Deleted project prj_1.\n",
    );
    expect(
      JSON.parse(renderResult({ resource: projects, output: "deleted", format: "json", target: "prj_1" }, null).stdout),
    ).toEqual({
      id: "prj_1",
      deleted: true,
    });
  });

  it("refuses answers of the wrong shape instead of printing nonsense", () => {
    expect(() => renderResult({ resource: vk, output: "list", format: "table" }, [key])).toThrow(
      /\{data: \[\.\.\.\]\}/,
    );
    expect(() => renderResult({ resource: vk, output: "with-secret", format: "table" }, key)).toThrow(/secret/);
  });
});
