import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** A structured gateway log line (src/lib/log.ts) below error level. */
function isRoutineGatewayLog(line: string): boolean {
  if (!line.startsWith('{"level":')) return false;
  try {
    const parsed = JSON.parse(line) as { level?: unknown; event?: unknown };
    return typeof parsed.event === "string" && ["debug", "info", "warn"].includes(String(parsed.level));
  } catch {
    return false;
  }
}

/**
 * Two projects: `workerd` runs unit and integration tests inside the Workers runtime against the
 * real bindings (local D1, KV, Durable Objects); `e2e` runs in Node and drives a running gateway
 * (wrangler dev) with the official SDKs.
 */
export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    test: {
      // The gateway's info/warn JSON log lines are noise in the workerd project's output; errors,
      // anything else logged, and every assertion failure still show.
      onConsoleLog: (log, _type, entity) => !(entity?.project.name === "workerd" && isRoutineGatewayLog(log)),
      projects: [
        {
          plugins: [
            cloudflareTest({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ENVIRONMENT: "test",
                  LW_VIRTUAL_KEY_PEPPER: "test-pepper-0123456789abcdef",
                  LW_GATEWAY_INTERNAL_SECRET: "test-internal-0123456789abcdef",
                  LW_GATEWAY_JWT_SECRET: "test-jwt-secret-0123456789abcdef",
                  LW_GATEWAY_ADMIN_TOKEN: "test-admin-token-0123456789",
                  FAKE_OPENAI_KEY: "sk-fake-provider-key",
                  TEST_MIGRATIONS: migrations,
                },
              },
            }),
          ],
          test: {
            name: "workerd",
            include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts"],
            setupFiles: ["./test/setup/apply-migrations.ts"],
            // One runtime for all files (~4x faster than one per file). Tests must not lean on fresh
            // module state: they restore their mocks and seed under names no other test uses.
            isolate: false,
          },
        },
        {
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.test.ts"],
            environment: "node",
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
