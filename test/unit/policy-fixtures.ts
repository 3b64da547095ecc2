import type { KeyBundle, ProviderBinding } from "../../src/contract/bundle";
import { parseVkConfig } from "../../src/contract/vk-config";
import { ulid } from "../../src/lib/ids";
import type { LogFields, Logger } from "../../src/lib/log";
import type { ModelTarget } from "../../src/contract/model-target";

/** Bundles, targets and a recording logger for the policy unit tests. */

export function binding(name: string, models: string[] = []): ProviderBinding {
  return {
    id: `prv_${name}`,
    name,
    type: "openai-compatible",
    baseUrl: "https://fake.test/v1",
    apiKeySecret: null,
    apiKey: null,
    models,
    prices: {},
    settings: {},
  };
}

/** A bundle with a fresh key id, `config` validated (defaults filled in) like a stored one. */
export function bundleWith(
  config: Record<string, unknown>,
  providers: ProviderBinding[] = [binding("main", ["gpt-4o-mini"])],
  revision = "1.1.1.",
): KeyBundle {
  return {
    vk: {
      id: `vk_${ulid()}`,
      name: "policy test",
      environment: "test",
      displayPrefix: "lw_vk_test_01HZX",
      principalId: null,
      status: "active",
      expiresAt: null,
    },
    project: { id: "prj_policy", name: "policy" },
    config: parseVkConfig({ providers: providers.map((p) => p.name), ...config }),
    providers,
    budgets: [],
    revision,
    builtAt: 0,
    softExpiresAt: 0,
    secretExpiresAt: null,
  };
}

export const target = (b: ProviderBinding, model: string): ModelTarget => ({ binding: b, model });

export interface LogRecord {
  level: string;
  event: string;
  fields: LogFields;
}

/** A Logger that keeps what it is given. */
export function recordingLogger(records: LogRecord[] = [], base: LogFields = {}): Logger & { records: LogRecord[] } {
  let own = base;
  const at =
    (level: string) =>
    (event: string, fields: LogFields = {}) =>
      records.push({ level, event, fields: { ...own, ...fields } });
  return {
    records,
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => recordingLogger(records, { ...own, ...fields }),
    enrich: (fields) => {
      own = { ...own, ...fields };
    },
  };
}
