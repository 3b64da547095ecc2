import { describe, expect, it } from "vitest";
import { parseCommandLine, resolveBaseUrl } from "../../cli/command-line.mjs";
import { UsageError } from "../../cli/errors.mjs";
import { commandUsage, resourceUsage, synopsis, topUsage } from "../../cli/help.mjs";

/** The `faregate` command line, parsed without touching the network. */

const env = { FAREGATE_ADMIN_TOKEN: "admin-token-0123456789" };

function usageError(argv: string[], environment: Record<string, string | undefined> = env): UsageError {
  try {
    parseCommandLine(argv, environment);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`expected a usage error for: ${argv.join(" ")}`);
}

function invocation(argv: string[], environment: Record<string, string | undefined> = env) {
  const parsed = parseCommandLine(argv, environment);
  if (parsed.kind !== "run") throw new Error(`expected a command, got help for: ${argv.join(" ")}`);
  return parsed;
}

describe("commands and arguments", () => {
  it("parses a command with an argument and options in any order, global options included", () => {
    const parsed = invocation([
      "--format",
      "json",
      "virtual-keys",
      "update",
      "vk_1",
      "--name",
      "ci",
      "--url",
      "http://127.0.0.1:9999/",
    ]);
    expect(parsed).toMatchObject({
      resourceName: "virtual-keys",
      action: "update",
      args: { id: "vk_1" },
      values: { name: "ci" },
      format: "json",
      baseUrl: "http://127.0.0.1:9999",
      adminToken: env.FAREGATE_ADMIN_TOKEN,
    });
  });

  it("treats vk as virtual-keys", () => {
    expect(invocation(["vk", "list", "--project", "prj_1"])).toMatchObject({
      resourceName: "virtual-keys",
      action: "list",
      values: { project: "prj_1" },
    });
  });

  it("defaults to the table format and to FAREGATE_URL, then to localhost:8787", () => {
    expect(
      invocation(["projects", "list"], { ...env, FAREGATE_URL: "https://gw.example.com/admin/v1/" }),
    ).toMatchObject({
      format: "table",
      baseUrl: "https://gw.example.com",
    });
    expect(invocation(["projects", "list"]).baseUrl).toBe("http://localhost:8787");
    expect(
      invocation(["projects", "list", "--url", "http://127.0.0.1:1"], { ...env, FAREGATE_URL: "https://x.example" })
        .baseUrl,
    ).toBe("http://127.0.0.1:1");
  });

  it("takes a provider by id or name, and boolean flags", () => {
    expect(invocation(["providers", "update", "openai-main", "--api-key-stdin"])).toMatchObject({
      args: { "id|name": "openai-main" },
      values: { "api-key-stdin": true },
    });
  });
});

describe("help", () => {
  it("answers --help at every level, with the text of that level", () => {
    expect(parseCommandLine(["--help"], {})).toEqual({ kind: "help", text: topUsage() });
    expect(parseCommandLine(["help"], {})).toEqual({ kind: "help", text: topUsage() });
    expect(parseCommandLine(["vk", "--help"], {})).toEqual({ kind: "help", text: resourceUsage("virtual-keys") });
    expect(parseCommandLine(["vk", "create", "-h"], {})).toEqual({
      kind: "help",
      text: commandUsage("virtual-keys", "create"),
    });
  });

  it("needs no admin token for help", () => {
    expect(parseCommandLine(["providers", "create", "--help"], {}).kind).toBe("help");
  });

  it("lists every action of a resource with its synopsis", () => {
    const text = resourceUsage("virtual-keys");
    for (const action of ["list", "get", "create", "update", "rotate", "revoke"]) {
      expect(text).toContain(synopsis("virtual-keys", action));
    }
    expect(synopsis("virtual-keys", "create")).toBe(
      "faregate virtual-keys create --project ID --name NAME --environment live|test [--principal ID] [--expires-at ISO] [--config-json JSON]",
    );
  });
});

describe("usage errors", () => {
  it.each([
    [[], "no command given"],
    [["budgetz", "list"], 'unknown resource "budgetz"'],
    [["projects"], "no action given for projects"],
    [
      ["vk", "destroy", "vk_1"],
      'unknown action "destroy" for virtual-keys; one of: list, get, create, update, rotate, revoke',
    ],
    [["vk", "get"], "missing <id>"],
    [["vk", "get", "vk_1", "vk_2"], 'unexpected argument "vk_2"'],
    [["vk", "create", "--project", "prj_1", "--name", "ci"], "--environment is required"],
    [["projects", "list", "--bogus"], "Unknown option '--bogus'"],
    [["projects", "create", "--name"], "argument missing"],
    [["projects", "list", "--format", "yaml"], '--format must be one of table, json, got "yaml"'],
    [["projects", "list", "--url", "gateway.example.com"], "--url is not an absolute URL"],
    [["projects", "list", "--url", "ftp://gateway.example.com"], "--url must be an http:// or https:// URL"],
  ])("%j → %s", (argv, message) => {
    const err = usageError(argv);
    expect(err.message).toContain(message);
  });

  it("prints the usage of the level the mistake was made at", () => {
    expect(usageError([]).usage).toBe(topUsage());
    expect(usageError(["projects"]).usage).toBe(resourceUsage("projects"));
    expect(usageError(["vk", "get"]).usage).toBe(commandUsage("virtual-keys", "get"));
  });

  it("refuses secrets on the command line and does not echo them", () => {
    for (const argv of [
      ["projects", "list", "--admin-token", "s3cr3t-admin"],
      ["projects", "list", "--token=s3cr3t-admin"],
      ["providers", "create", "--name", "p", "--type", "openai", "--api-key", "sk-s3cr3t"],
      ["providers", "create", "--name", "p", "--type", "openai", "--api-key=sk-s3cr3t"],
    ]) {
      const err = usageError(argv);
      expect(err.message).toMatch(/FAREGATE_ADMIN_TOKEN|--api-key-stdin/);
      expect(err.message).not.toContain("s3cr3t");
    }
  });

  it("requires FAREGATE_ADMIN_TOKEN, untrimmed, for a command", () => {
    expect(usageError(["projects", "list"], {}).message).toContain("FAREGATE_ADMIN_TOKEN is not set");
    expect(usageError(["projects", "list"], { FAREGATE_ADMIN_TOKEN: "" }).message).toContain("is not set");
    expect(usageError(["projects", "list"], { FAREGATE_ADMIN_TOKEN: "token\n" }).message).toContain("whitespace");
  });
});

describe("resolveBaseUrl", () => {
  it.each([
    ["http://127.0.0.1:8787", "http://127.0.0.1:8787"],
    ["http://127.0.0.1:8787/", "http://127.0.0.1:8787"],
    ["https://gw.example.com/admin/v1", "https://gw.example.com"],
    ["https://gw.example.com/faregate/?x=1#top", "https://gw.example.com/faregate"],
  ])("%s → %s", (raw, expected) => {
    expect(resolveBaseUrl(raw, "--url")).toBe(expected);
  });

  it("refuses credentials in the URL without echoing them", () => {
    expect(() => resolveBaseUrl("https://admin:hunter2@gw.example.com", "FAREGATE_URL")).toThrow(
      /FAREGATE_URL must not carry credentials/,
    );
    expect(() => resolveBaseUrl("https://admin:hunter2@gw.example.com", "FAREGATE_URL")).not.toThrow(/hunter2/);
  });
});
