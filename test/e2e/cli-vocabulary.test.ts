import { describe, expect, it } from "vitest";
import { BUDGET_ON_BREACH, BUDGET_SCOPES, BUDGET_WINDOWS } from "../../src/contract/budgets";
import { PROVIDER_TYPES } from "../../src/providers/registry";
import * as cli from "../../cli/commands.mjs";
import { commandUsage } from "../../cli/help.mjs";

/**
 * The CLI runs on plain Node and cannot import the gateway's TypeScript, so it keeps its own copy of
 * the words it validates and lists in its help; this pins each copy to the gateway's one declaration.
 */
describe("the CLI speaks the gateway's vocabulary", () => {
  it("lists exactly the binding types of the PROVIDERS table, in its order", () => {
    expect([...cli.PROVIDER_TYPES]).toEqual([...PROVIDER_TYPES]);
  });

  it("checks budgets against the contract's scopes, windows and breach actions", () => {
    expect([...cli.BUDGET_SCOPES]).toEqual([...BUDGET_SCOPES]);
    expect([...cli.BUDGET_WINDOWS]).toEqual([...BUDGET_WINDOWS]);
    expect([...cli.ON_BREACH]).toEqual([...BUDGET_ON_BREACH]);
  });

  it("shows every binding type in `providers create --help`", () => {
    const help = commandUsage("providers", "create");
    for (const type of PROVIDER_TYPES) expect(help).toMatch(new RegExp(`[ ,]${type}(,| or |\\s)`));
  });
});
