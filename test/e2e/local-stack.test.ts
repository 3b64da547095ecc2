import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker } from "../../scripts/lib/local-stack.mjs";
import { FAKE_PROVIDER_CONFIG } from "../../scripts/lib/paths.mjs";
import { tempRunDir } from "./support/run-log";

/**
 * How startWorker (scripts/lib/local-stack.mjs) gets its ports, with the fake provider as the
 * worker: without a port the OS picks one, so no other process can take it between choosing and
 * binding; an explicit port that is taken is refused with an error that says so.
 */

type Worker = Awaited<ReturnType<typeof startWorker>>;

const run = tempRunDir("e2e-local-stack");
const started: Worker[] = [];

beforeAll(async () => {
  await run.create();
});

afterAll(async () => {
  await Promise.allSettled(started.map((w) => w.stop()));
});

/** A listening socket on 127.0.0.1 (port 0: one the OS picks), closed by `close()`. */
async function holdPort(port = 0): Promise<{ port: number; close: () => Promise<void> }> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** The error code of listening on 127.0.0.1:port, or null when that worked. */
async function listenError(port: number): Promise<string | null> {
  try {
    await (await holdPort(port)).close();
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

describe("startWorker's ports", () => {
  it("without a port: listens on one the OS picked, says which, and serves there", async () => {
    const worker = await startWorker({
      config: FAKE_PROVIDER_CONFIG,
      persistDir: path.join(run.path(), "os-picked"),
      logFile: path.join(run.path(), "os-picked.log"),
    });
    started.push(worker);
    expect(worker.port).toBeGreaterThan(0);
    expect(worker.url).toBe(`http://127.0.0.1:${worker.port}`);
    const res = await fetch(`${worker.url}/__requests`);
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
    // The worker itself holds the port it reported.
    expect(await listenError(worker.port)).toBe("EADDRINUSE");
  });

  it("with a port something else listens on: rejects with EADDRINUSE, naming the address", async () => {
    const holder = await holdPort();
    try {
      const error: unknown = await startWorker({
        config: FAKE_PROVIDER_CONFIG,
        port: holder.port,
        persistDir: path.join(run.path(), "taken"),
        logFile: path.join(run.path(), "taken.log"),
      }).then(
        (worker) => {
          started.push(worker);
          return new Error(`expected a refusal, but it started on ${worker.url}`);
        },
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: "EADDRINUSE", address: `127.0.0.1:${holder.port}` });
      expect((error as Error).message).toContain(`127.0.0.1:${holder.port} is already in use`);
    } finally {
      await holder.close();
    }
  });
});
