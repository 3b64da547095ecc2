import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { presetFor } from "../../src/providers/openai-shaped/presets";
import { PROVIDER_TYPES, PROVIDERS, type ProviderType } from "../../src/providers/registry";
import {
  call,
  callSettled,
  CLIENTS,
  CONFORMANCE_PRICE,
  costOf,
  expectWire,
  formatOf,
  send,
  type ConformanceClient,
  type ConformanceFamily,
} from "../helpers/conformance";
import { FAMILIES, NOT_IN_TABLE, type NotInTable } from "../helpers/conformance-families";
import { FAKE_PROVIDER_KEY, installFakeUpstream } from "../helpers/fake-upstream";
import { parseSse, REQUEST_ID } from "../helpers/gateway";
import { drainOutbox, ledgerRows } from "../helpers/limits";

/**
 * One conformance suite for every provider family, run through each family's fake (the HTTP fake
 * provider speaking the provider's wire format, or a fake Workers AI binding) by both client APIs
 * (OpenAI chat completions and Anthropic Messages, translated where the family speaks the other):
 *
 *   1. the request on the wire: where it goes, the provider's auth, the model, the body's shape;
 *      the answer, whole and streamed (a stream cut into pieces too)
 *   2. usage, whole and streamed: what the client reads, what the ledger records and what it costs
 *   3. errors: a provider's refusal is final and reaches the client; a retryable failure with no
 *      binding left is a 502 naming it; a provider that never answers is a 504
 *   4. a stream that breaks after content: the partial answer, then one terminal frame, no
 *      fallback; a client that leaves cancels the provider's stream
 *   5. fallback: after each retryable failure the next binding serves, streamed and not
 *
 * The rows are test/helpers/conformance-families.ts, the clients and plumbing
 * test/helpers/conformance.ts. What only one family has (Azure's deployments, Bedrock's cachePoints
 * and tools, Workers AI's embeddings, settings validation) stays in provider-<family>.test.ts.
 */

beforeEach(() => installFakeUpstream());
afterEach(() => vi.restoreAllMocks());

it("every binding type in PROVIDERS has a row, or a reason not to that still holds", () => {
  const covered = new Set<string>(FAMILIES.map((f) => f.type));
  expect(PROVIDER_TYPES.filter((t) => !covered.has(t) && !Object.hasOwn(NOT_IN_TABLE, t))).toEqual([]);
  for (const [type, entry] of Object.entries(NOT_IN_TABLE) as [ProviderType, NotInTable][]) {
    expect(covered.has(type), `${type} has a row and a reason not to`).toBe(false);
    if (entry.sameAs === undefined) continue;
    expect(covered.has(entry.sameAs), `${type} is the same as ${entry.sameAs}, which has no row`).toBe(true);
    expect(PROVIDERS[type].family, type).toBe(PROVIDERS[entry.sameAs].family);
    // Everything but the default API root (and the other endpoints, which this suite does not call).
    const { baseUrl: _root, endpoints: _endpoints, ...own } = presetFor(type) ?? {};
    const { baseUrl: _rowRoot, endpoints: _rowEndpoints, ...row } = presetFor(entry.sameAs) ?? {};
    expect(own, type).toEqual(row);
  }
});

/** The stream variants of a usage check: OpenAI's client sees a stream's usage only when it asks. */
const usageModes = (client: ConformanceClient) =>
  client.usageOnRequest
    ? [
        { mode: "whole", stream: false, asked: false },
        { mode: "streamed, usage asked for", stream: true, asked: true },
        { mode: "streamed, usage not asked for", stream: true, asked: false },
      ]
    : [
        { mode: "whole", stream: false, asked: false },
        { mode: "streamed", stream: true, asked: true },
      ];

describe.each(FAMILIES)("$name", (family: ConformanceFamily) => {
  describe.each(CLIENTS)("$name", (client: ConformanceClient) => {
    const nativeFormat = client.format === formatOf(family);

    describe("1. the request on the wire", () => {
      it.each([false, true])("stream %s: the provider's URL, auth, model and body; the answer", async (stream) => {
        const chain = await family.chain(["ok"]);
        const reply = await call(client, chain, client.body(family.model, stream));
        expect(reply.status, reply.text).toBe(200);
        expect(reply.headers.get("content-type")).toMatch(stream ? /^text\/event-stream/ : /^application\/json/);
        expect(reply.headers.get("x-langwatch-request-id")).toMatch(REQUEST_ID);
        expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[0]);
        expect(reply.headers.get("x-langwatch-model")).toBe(family.model);
        expect(reply.headers.get("x-langwatch-fallback-count")).toBe("0");
        if (stream) client.expectCompleteStream(parseSse(reply.text), false);
        else client.expectAnswer(JSON.parse(reply.text), family.model);
        const calls = chain.calls();
        expect(calls).toHaveLength(1);
        expectWire(calls[0], family.wire(stream), family.model, chain.key.secret);
      });

      const split = family.splitStream;
      if (split !== null) {
        it(`a stream arriving in pieces that cut its events and lines (${split}) is put back together`, async () => {
          const chain = await family.chain([split]);
          const reply = await call(client, chain, client.body(family.model, true, true));
          expect(reply.status, reply.text).toBe(200);
          const events = parseSse(reply.text);
          client.expectCompleteStream(events, true);
          expect(client.streamUsage(events)).toMatchObject(client.expectedUsage(family.usage));
        });
      }
    });

    describe("2. usage", () => {
      it.each(usageModes(client))("$mode: the client reads it, the ledger records and prices it", async (m) => {
        const chain = await family.chain(["ok"], { prices: { [family.model]: CONFORMANCE_PRICE } });
        const reply = await callSettled(client, chain, client.body(family.model, m.stream, m.asked));
        expect(reply.status, reply.text).toBe(200);
        const usage = m.stream ? client.streamUsage(parseSse(reply.text)) : client.usage(JSON.parse(reply.text));
        if (m.stream && !m.asked) expect(usage).toBeNull();
        else expect(usage).toMatchObject(client.expectedUsage(family.usage));
        await drainOutbox(chain.key.id);
        expect(await ledgerRows(chain.key.id)).toMatchObject([
          {
            provider: chain.bindings[0],
            model: family.model,
            input_tokens: family.usage.input,
            output_tokens: family.usage.output,
            cache_read_tokens: family.usage.cacheRead,
            cache_write_tokens: family.usage.cacheWrite,
            cost_micros: costOf(family.usage),
            outcome: "ok",
          },
        ]);
      });

      it("a stream that breaks midway is recorded as stream_failed", async () => {
        const [broken] = family.midStream;
        const chain = await family.chain([broken?.scenario ?? "missing"]);
        const reply = await callSettled(client, chain, client.body(family.model, true));
        expect(client.terminalFrame(parseSse(reply.text))).toMatchObject({ code: "upstream_mid_stream_failure" });
        await drainOutbox(chain.key.id);
        expect(await ledgerRows(chain.key.id)).toMatchObject([
          { provider: chain.bindings[0], model: family.model, outcome: "stream_failed" },
        ]);
      });
    });

    describe("3. errors", () => {
      for (const f of family.final) {
        it(`${f.scenario} is final: the status kept, the error passed on, no fallback`, async () => {
          const chain = await family.chain([f.scenario, "ok"]);
          const reply = await call(client, chain, client.body(family.model, false));
          expect(reply.status, reply.text).toBe(f.status);
          expect(reply.headers.get("content-type")).toMatch(/^application\/json/);
          expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[0]);
          expect(reply.headers.get("x-langwatch-fallback-count")).toBe("0");
          expect(chain.calls().map((c) => c.scenario)).toEqual([f.scenario]);
          if (nativeFormat) expect(JSON.parse(reply.text)).toEqual(f.body);
          else {
            const error = client.error(reply.text);
            expect(error).toMatchObject({ type: f.translated.type, code: f.translated.code });
            if (typeof f.translated.message === "string") expect(error.message).toBe(f.translated.message);
            else expect(error.message).toMatch(f.translated.message);
          }
        });
      }

      // A provider's own 429 as the last attempt is a 429 the runbook tells from the key's limits: with
      // X-LangWatch-Provider, without X-LangWatch-RateLimit-Dimension.
      it.each(family.retryable)(
        "$scenario with no binding left: a 502 (429 for a 429) naming the attempt",
        async (r) => {
          const chain = await family.chain([r.scenario]);
          const reply = await call(client, chain, client.body(family.model, r.streamOnly === true));
          const quota = r.attempt.startsWith("HTTP 429");
          expect(reply.status, reply.text).toBe(quota ? 429 : 502);
          expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[0]);
          expect(reply.headers.get("x-langwatch-fallback-count")).toBe("0");
          expect(reply.headers.get("x-langwatch-ratelimit-dimension")).toBeNull();
          const error = client.error(reply.text);
          expect(error).toMatchObject(
            quota
              ? { type: "rate_limit_exceeded", code: "upstream_rate_limited" }
              : { type: "provider_error", code: "all_attempts_failed" },
          );
          expect(error.message).toContain(`attempt 1 ${chain.bindings[0]}: ${r.attempt}`);
          expect(error.message).not.toContain("<");
          expect(error.message).not.toContain(FAKE_PROVIDER_KEY);
          expect(chain.calls().map((c) => c.scenario)).toEqual([r.scenario]);
        },
      );

      it("a provider that never answers is cut off at attempt_timeout_ms: a 504, the call aborted", async () => {
        const chain = await family.chain([family.hang], { fallback: { max_attempts: 1, attempt_timeout_ms: 100 } });
        const reply = await call(client, chain, client.body(family.model, false));
        expect(reply.status, reply.text).toBe(504);
        expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[0]);
        const error = client.error(reply.text);
        expect(error).toMatchObject({ type: "upstream_timeout", code: "upstream_timeout" });
        expect(error.message).toContain(`attempt 1 ${chain.bindings[0]}: timed out after 100 ms`);
        expect(chain.calls().map((c) => c.aborted)).toEqual([true]);
      });
    });

    describe("4. a stream that breaks midway", () => {
      it.each(family.midStream)("$scenario: the partial answer, one terminal frame, no fallback", async (m) => {
        const chain = await family.chain([m.scenario, "ok"]);
        const reply = await call(client, chain, client.body(family.model, true));
        expect(reply.status).toBe(200);
        expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[0]);
        const events = parseSse(reply.text);
        expect(client.streamText(events)).toBe(m.partial);
        const frame = client.terminalFrame(events);
        expect(frame).toMatchObject({ type: "provider_error", code: "upstream_mid_stream_failure" });
        expect(frame.message).toMatch(m.reason);
        expect(frame.message).toMatch(/retry the request\.$/);
        expect(reply.text.endsWith("\n\n")).toBe(true);
        expect(chain.calls().map((c) => c.scenario)).toEqual([m.scenario]);
      });

      it("a client that leaves cancels the provider's stream", async () => {
        const chain = await family.chain([family.slowStream]);
        const response = await send(client, chain, client.body(family.model, true));
        expect(response.status).toBe(200);
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        expect((await reader.read()).value?.length).toBeGreaterThan(0);
        expect(chain.calls().map((c) => c.aborted)).toEqual([false]);
        await reader.cancel();
        await vi.waitFor(() => expect(chain.calls()[0]?.aborted).toBe(true), { timeout: 2_000, interval: 10 });
      });
    });

    describe("5. fallback", () => {
      it.each(family.retryable)("$scenario: the next binding serves the same request, streamed and not", async (r) => {
        const chain = await family.chain([r.scenario, "ok"]);
        for (const stream of r.streamOnly ? [true] : [false, true]) {
          const before = chain.calls().length;
          const reply = await call(client, chain, client.body(family.model, stream));
          expect(reply.status, reply.text).toBe(200);
          expect(reply.headers.get("x-langwatch-provider")).toBe(chain.bindings[1]);
          expect(reply.headers.get("x-langwatch-model")).toBe(family.model);
          expect(reply.headers.get("x-langwatch-fallback-count")).toBe("1");
          if (stream) client.expectCompleteStream(parseSse(reply.text), false);
          else client.expectAnswer(JSON.parse(reply.text), family.model);
          const calls = chain.calls().slice(before);
          expect(calls.map((c) => c.scenario)).toEqual([r.scenario, "ok"]);
          expect(calls[1]?.body).toEqual(calls[0]?.body);
        }
      });
    });
  });
});
