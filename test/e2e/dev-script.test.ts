import Anthropic from "@anthropic-ai/sdk";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isWorkerVar, workerVarsFrom } from "../../scripts/lib/dev-env.mjs";
import { freePort } from "../../scripts/lib/local-stack.mjs";
import { ROOT } from "../../scripts/lib/paths.mjs";
import { stopProcessTree } from "../../scripts/lib/process-tree.mjs";
import { collect, contentOf } from "./support/sdk-clients";
import { tempRunDir } from "./support/run-log";

/**
 * `npm run dev` as the README tells people to run it (scripts/bootstrap.mjs scripts/dev.mjs, the
 * package.json command), pointed at a temporary state directory and port so it never touches the
 * developer's own .dev.vars, .faregate-dev.json or .wrangler/state.
 */

const KEY = /lw_vk_(?:live|test)_[0-9A-HJKMNP-TV-Z]{26}/;
const START_TIMEOUT_MS = 150_000;
/** How many ports a run may try: a port free a moment ago can be taken before wrangler binds it. */
const PORT_ATTEMPTS = 3;

interface DevRun {
  child: ChildProcess;
  output: () => string;
  /** Settles once the script exited and its output was read (at most 5 s after the exit). */
  exited: Promise<number | null>;
  stop: () => Promise<void>;
}

const run = tempRunDir("e2e-dev");
const running = new Set<DevRun>();

beforeAll(async () => {
  await run.create();
});

afterAll(async () => {
  await Promise.allSettled([...running].map((r) => r.stop()));
});

/**
 * `npm run dev` with its state in `stateDir`, on `port`, and `extra` in its environment; the
 * inspector on a port the OS picks, so that no run can collide with another over wrangler's default
 * (9229 and up). Nothing of this shell that would reach the Worker (OPENAI_API_KEY, the gateway's
 * own variables) is passed on, only `extra`.
 */
function startDev(stateDir: string, port: number, extra: Record<string, string> = {}): DevRun {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) if (isWorkerVar(name) || name === "OPENAI_API_KEY") delete env[name];
  Object.assign(env, { FAREGATE_STATE_DIR: stateDir, PORT: String(port), INSPECTOR_PORT: "0" }, extra);
  const child = spawn(process.execPath, [path.join(ROOT, "scripts", "bootstrap.mjs"), "scripts/dev.mjs"], {
    cwd: ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      child.once("close", () => resolve(code));
      setTimeout(() => resolve(code), 5_000).unref();
    });
  });
  const dev: DevRun = {
    child,
    output: () => output,
    exited,
    stop: async () => {
      running.delete(dev);
      if (child.exitCode === null && child.signalCode === null && child.pid) await stopProcessTree(child.pid);
    },
  };
  running.add(dev);
  return dev;
}

/** Waits until the dev script printed its key and the gateway answers /healthz on `port`. */
async function waitForKey(dev: DevRun, port: number): Promise<string> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (dev.child.exitCode !== null) {
      const code = await dev.exited;
      throw new Error(`npm run dev exited with ${code}:\n${dev.output().slice(-4000)}`);
    }
    const key = KEY.exec(dev.output())?.[0];
    if (key) {
      const ok = await fetch(`http://localhost:${port}/healthz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return key;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `npm run dev did not come up on port ${port} in ${START_TIMEOUT_MS / 1000} s:\n${dev.output().slice(-4000)}`,
  );
}

/** What a run prints when its port was taken: its own check, or wrangler's if the port went after that. */
const portTaken = (port: number) =>
  new RegExp(`faregate: port ${port} .*already in use|Address already in use \\([^)]*:${port}\\)`);

/**
 * `npm run dev` on a port that was free a moment ago, up and with its key. PORT is that port or
 * nothing (by design), so something may take it before wrangler binds it: only a run that failed
 * saying so is started again, on another port, at most PORT_ATTEMPTS times in all.
 */
async function startDevOnFreePort(
  stateDir: string,
  extra: Record<string, string> = {},
): Promise<{ dev: DevRun; port: number; key: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const dev = startDev(stateDir, port, extra);
    try {
      return { dev, port, key: await waitForKey(dev, port) };
    } catch (err) {
      await dev.stop();
      if (attempt >= PORT_ATTEMPTS || !portTaken(port).test(dev.output())) throw err;
    }
  }
}

/** What the developer's own dev files look like, to prove the test left them alone. */
async function ownDevFiles(): Promise<string> {
  const files = [".dev.vars", ".faregate-dev.json", path.join(".wrangler", "state")];
  const seen = await Promise.all(
    files.map((f) =>
      stat(path.join(ROOT, f)).then(
        (s) => `${f}@${s.mtimeMs}`,
        () => `${f}:absent`,
      ),
    ),
  );
  return seen.join(" ");
}

const REPLY = "Hello from the Faregate mock provider. You said:";

async function askMock(port: number, apiKey: string): Promise<string | null | undefined> {
  const client = new OpenAI({ baseURL: `http://localhost:${port}/v1`, apiKey, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: "mock-echo",
    messages: [{ role: "user", content: "ping" }],
  });
  return completion.choices[0]?.message.content;
}

/** The `message_bodies` log lines the gateway printed (through wrangler dev) for one request id. */
const bodyLogLines = (dev: DevRun, requestId: string) =>
  dev
    .output()
    .split("\n")
    .filter((line) => line.includes('"event":"message_bodies"') && line.includes(requestId));

/** Waits up to 10 s for what `lines()` finds (the gateway logs after the response has ended). */
async function eventually(lines: () => string[]): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  while (lines().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return lines();
}

const weatherTool = {
  type: "function" as const,
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

/**
 * What a newcomer pastes, as written, with the official clients and the printed key: OpenAI's
 * quickstart model and the runbook's, chat streaming and not, a tool call, the Responses API and
 * embeddings; Anthropic's client on the README's model.
 */
async function newcomerCalls(port: number, key: string): Promise<void> {
  const openai = new OpenAI({ baseURL: `http://localhost:${port}/v1`, apiKey: key, maxRetries: 0 });
  for (const model of ["gpt-4o-mini", "gpt-5-mini"]) {
    const completion = await openai.chat.completions.create({ model, messages: [{ role: "user", content: "ping" }] });
    expect(completion.model).toBe(model);
    expect(completion.choices[0]?.message.content).toBe(`${REPLY} ping`);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 1, completion_tokens: 11, total_tokens: 12 });

    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "stream this" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(contentOf(chunks)).toBe(`${REPLY} stream this`);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 12 });

    const tools = await openai.chat.completions.create({
      model,
      messages: [{ role: "user", content: "What's the weather in Paris? Use get_weather." }],
      tools: [weatherTool],
    });
    expect(tools.choices[0]?.finish_reason).toBe("tool_calls");
    const call = tools.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(JSON.parse(call?.type === "function" ? call.function.arguments : "")).toEqual({ city: "mock" });

    const streamedTools = await openai.chat.completions
      .stream({ model, messages: [{ role: "user", content: "call get_weather" }], tools: [weatherTool] })
      .finalChatCompletion();
    expect(streamedTools.choices[0]?.finish_reason).toBe("tool_calls");
    expect(streamedTools.choices[0]?.message.tool_calls?.[0]).toMatchObject({
      function: { name: "get_weather", arguments: '{"city":"mock"}' },
    });
  }

  const response = await openai.responses.create({ model: "gpt-5-mini", input: "ping" });
  expect(response.output_text).toBe(`${REPLY} ping`);
  expect(response.usage).toMatchObject({ input_tokens: 1, output_tokens: 11 });
  const streamedResponse = await openai.responses.stream({ model: "gpt-4o-mini", input: "ping" }).finalResponse();
  expect(streamedResponse).toMatchObject({ status: "completed", output_text: `${REPLY} ping` });
  expect(streamedResponse.usage).toMatchObject({ input_tokens: 1, output_tokens: 11 });
  const called = await openai.responses.create({
    model: "gpt-4o-mini",
    input: "use get_weather",
    tools: [{ type: "function", name: "get_weather", parameters: weatherTool.function.parameters, strict: false }],
  });
  expect(called.output[0]).toMatchObject({ type: "function_call", name: "get_weather", arguments: '{"city":"mock"}' });

  // The client asks for base64 unless told otherwise, and decodes it.
  const embedded = await openai.embeddings.create({ model: "text-embedding-3-small", input: ["ping", "pong"] });
  expect(embedded.data.map((d) => d.embedding.length)).toEqual([1536, 1536]);
  expect(embedded.usage).toEqual({ prompt_tokens: 2, total_tokens: 2 });
  const floats = await openai.embeddings.create({
    model: "text-embedding-3-small",
    input: "ping",
    encoding_format: "float",
  });
  expect(floats.data[0]?.embedding.map((x) => Math.fround(x))).toEqual(embedded.data[0]?.embedding);

  const anthropic = new Anthropic({ baseURL: `http://localhost:${port}`, apiKey: key, maxRetries: 0 });
  const ask = { model: "claude-sonnet-4-5", max_tokens: 1024, messages: [{ role: "user" as const, content: "Hello" }] };
  const message = await anthropic.messages.create(ask);
  expect(message).toMatchObject({
    model: "claude-sonnet-4-5",
    stop_reason: "end_turn",
    content: [{ type: "text", text: `${REPLY} Hello` }],
    usage: { input_tokens: 1, output_tokens: 11 },
  });
  const final = await anthropic.messages.stream(ask).finalMessage();
  expect(final).toMatchObject({ stop_reason: "end_turn", content: [{ type: "text", text: `${REPLY} Hello` }] });
  expect(final.usage.output_tokens).toBe(11);
}

describe("npm run dev", () => {
  it(
    "seeds a working key, prints it, serves it, and reuses it on the next run",
    async () => {
      const stateDir = path.join(run.path(), "state");
      const ownBefore = await ownDevFiles();

      // A gateway variable set in the shell reaches the Worker (here: the message-body log).
      const { dev: first, port: port1, key } = await startDevOnFreePort(stateDir, { LW_LOG_MESSAGE_BODY: "true" });
      expect(first.output()).toContain(`baseURL: "http://localhost:${port1}/v1"`);
      expect(first.output()).toContain(`curl http://localhost:${port1}/v1/chat/completions`);
      expect(first.output()).toContain("variables  LW_LOG_MESSAGE_BODY (from your environment)");
      expect(first.output()).toContain("Try it:");
      expect(await askMock(port1, key)).toContain(`${REPLY} ping`);
      await newcomerCalls(port1, key);
      const models = await new OpenAI({
        baseURL: `http://localhost:${port1}/v1`,
        apiKey: key,
        maxRetries: 0,
      }).models.list();
      expect(models.data.map((m) => m.id).sort()).toEqual(["fast", "mock-echo", "smart"]);
      const logged = await new OpenAI({
        baseURL: `http://localhost:${port1}/v1`,
        apiKey: key,
        maxRetries: 0,
      }).chat.completions
        .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "log me" }] })
        .withResponse();
      const requestId = logged.response.headers.get("x-langwatch-request-id") ?? "missing";
      const lines = await eventually(() => bodyLogLines(first, requestId));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain("log me");
      await first.stop();

      const devVars = await readFile(path.join(stateDir, ".dev.vars"), "utf8");
      for (const name of [
        "LW_VIRTUAL_KEY_PEPPER",
        "LW_GATEWAY_INTERNAL_SECRET",
        "LW_GATEWAY_JWT_SECRET",
        "LW_GATEWAY_ADMIN_TOKEN",
      ]) {
        expect(devVars).toMatch(new RegExp(`^${name}='[0-9a-f]{48,}'$`, "m"));
      }
      expect(devVars).toMatch(/^ENVIRONMENT='development'$/m);
      expect(devVars).not.toContain("LW_LOG_MESSAGE_BODY"); // passed for that run, written nowhere
      expect(JSON.parse(await readFile(path.join(stateDir, ".faregate-dev.json"), "utf8"))).toMatchObject({
        key: { secret: key },
      });
      expect(existsSync(path.join(stateDir, "wrangler-state"))).toBe(true);

      const { dev: second, port: port2, key: key2 } = await startDevOnFreePort(stateDir);
      expect(key2).toBe(key);
      expect(await readFile(path.join(stateDir, ".dev.vars"), "utf8")).toBe(devVars);
      expect(second.output()).toContain("variables  none from your environment");
      const again = await new OpenAI({
        baseURL: `http://localhost:${port2}/v1`,
        apiKey: key,
        maxRetries: 0,
      }).chat.completions
        .create({ model: "claude-sonnet-4-5", messages: [{ role: "user", content: "ping" }] })
        .withResponse();
      expect(again.data.choices[0]?.message.content).toContain("Hello from the Faregate mock provider");
      const againId = again.response.headers.get("x-langwatch-request-id") ?? "missing";
      await new Promise((r) => setTimeout(r, 1_000));
      expect(bodyLogLines(second, againId)).toEqual([]); // the variable is gone with the shell that set it
      await second.stop();
      expect(await ownDevFiles()).toBe(ownBefore);
    },
    2 * PORT_ATTEMPTS * START_TIMEOUT_MS + 60_000,
  );

  it(
    "says the configuration is invalid, listing each error and where it was set, instead of printing calls to try",
    async () => {
      const stateDir = path.join(run.path(), "invalid");
      const { dev, port } = await startDevOnFreePort(stateDir, {
        LW_LOG_MESSAGE_BODY: "yes",
        LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: "soon",
      });
      const output = dev.output();
      expect(output).toContain("The gateway's configuration is invalid (2 errors):");
      expect(output).toMatch(
        /- LW_LOG_MESSAGE_BODY: must be exactly "true" or "false", got "yes" \(set in your environment\)/,
      );
      expect(output).toMatch(/- LW_GATEWAY_AUTH_CACHE_SOFT_BUMP: .*"soon" \(set in your environment\)/);
      expect(output).toContain(`curl http://localhost:${port}/startupz`);
      expect(output).not.toContain("Try it:");
      const startup = await fetch(`http://localhost:${port}/startupz`);
      expect(startup.status).toBe(503);
      const listed = ((await startup.json()) as { errors: string[] }).errors;
      expect(listed).toHaveLength(2);
      for (const error of listed) expect(output).toContain(error);
      await dev.stop();
    },
    PORT_ATTEMPTS * START_TIMEOUT_MS + 30_000,
  );

  it("refuses a PORT something already listens on, saying so, before it writes or starts anything", async () => {
    const stateDir = path.join(run.path(), "taken-port");
    const holder = net.createServer();
    await new Promise<void>((resolve, reject) => {
      holder.once("error", reject);
      holder.listen(0, "127.0.0.1", resolve);
    });
    try {
      const port = (holder.address() as net.AddressInfo).port;
      const dev = startDev(stateDir, port);
      expect(await dev.exited).toBe(1);
      expect(dev.output()).toContain(`faregate: port ${port} is already in use on localhost`);
      expect(dev.output()).toContain(`PORT=${port + 1} npm run dev`);
      expect(dev.output()).not.toContain("seeding");
      expect(existsSync(stateDir)).toBe(false);
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});

describe("which variables of the shell reach the Worker (scripts/lib/dev-env.mjs)", () => {
  /** The contract's variables: the Worker's configuration, and those of the request record, traces, metrics, MCP and OIDC. */
  const CONTRACT_VARIABLES = [
    "LW_VIRTUAL_KEY_PEPPER",
    "LW_GATEWAY_INTERNAL_SECRET",
    "LW_GATEWAY_JWT_SECRET",
    "LW_GATEWAY_ADMIN_TOKEN",
    "LW_GATEWAY_AUTH_CACHE_SOFT_BUMP",
    "LW_GATEWAY_AUTH_CACHE_HARD_GRACE",
    "SERVER_MAX_REQUEST_BODY_BYTES",
    "ENVIRONMENT",
    "LW_LOG_MESSAGE_BODY",
    "LW_GATEWAY_REQUEST_RETENTION",
    "GATEWAY_OTEL_DEFAULT_ENDPOINT",
    "GATEWAY_OTEL_DEFAULT_AUTH_TOKEN",
    "GATEWAY_OTEL_SAMPLER_ARG",
    "GATEWAY_OTEL_CAPTURE_CONTENT",
    "GATEWAY_METRICS_TOKEN",
    "MCP_ENABLE",
    "MCP_SERVERS",
    "MCP_CLIENT_TIMEOUT",
    "MCP_DIAL_TIMEOUT",
    "MCP_REQUEST_TIMEOUT",
    "MCP_RESPONSE_HEADER_TIMEOUT",
    "MCP_ENABLE_RECONNECT",
    "MCP_MAX_RETRIES",
    "MCP_RETRY_INTERVAL",
    "MCP_INITIAL_BACKOFF",
    "MCP_RECONNECT_INTERVAL",
    "MCP_POLLING_ENABLE",
    "MCP_POLLING_INTERVAL",
    "MCP_POLLING_TIMEOUT",
    "MCP_DISABLE_HEALTHCHECK_LOGS",
    "AUTH_ENABLE",
    "AUTH_OIDC_ISSUER",
    "AUTH_OIDC_CLIENT_ID",
    "AUTH_OIDC_CLIENT_SECRET",
    "AUTH_OIDC_VIRTUAL_KEY",
    "ENABLE_VISION",
  ];

  /** Every variable the gateway's configuration reads (src/config.ts) and wrangler.toml declares. */
  function variablesTheGatewayReads(): string[] {
    const config = readFileSync(path.join(ROOT, "src", "config.ts"), "utf8");
    const schema = config.slice(config.indexOf("envSchema = z.object({"));
    const fromConfig = [...schema.slice(0, schema.indexOf("});")).matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map(
      (m) => m[1],
    );
    const toml = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
    const vars = toml.slice(toml.indexOf("[vars]"));
    const fromToml = [...vars.slice(0, vars.indexOf("\n[", 1)).matchAll(/^([A-Z][A-Z0-9_]+)\s*=/gm)].map((m) => m[1]);
    // The parses found what they look for: a secret only config.ts names, a var only wrangler.toml sets.
    expect(fromConfig).toContain("LW_VIRTUAL_KEY_PEPPER");
    expect(fromToml).toContain("LW_LOG_MESSAGE_BODY");
    return [...fromConfig, ...fromToml].filter((n): n is string => n !== undefined);
  }

  it("passes every variable of the contract, and every one the gateway reads", () => {
    const read = variablesTheGatewayReads();
    for (const name of [...CONTRACT_VARIABLES, ...read]) expect(isWorkerVar(name), name).toBe(true);
  });

  it("passes nothing else of the shell, and no empty value", () => {
    for (const name of [
      "PATH",
      "HOME",
      "PORT",
      "INSPECTOR_PORT",
      "FAREGATE_STATE_DIR",
      "OPENAI_API_KEY",
      "CLOUDFLARE_API_TOKEN",
      "NODE_OPTIONS",
      "lw_log_message_body",
      "XLW_LOG",
    ]) {
      expect(isWorkerVar(name), name).toBe(false);
    }
    expect(
      workerVarsFrom({
        PATH: "/bin",
        LW_LOG_MESSAGE_BODY: "true",
        GATEWAY_METRICS_TOKEN: "",
        ENVIRONMENT: "development",
      }),
    ).toEqual({ ENVIRONMENT: "development", LW_LOG_MESSAGE_BODY: "true" });
  });
});
