import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      FAKE_OPENAI_KEY: string;
      LW_VIRTUAL_KEY_PEPPER: string;
      LW_GATEWAY_INTERNAL_SECRET: string;
      LW_GATEWAY_JWT_SECRET: string;
      LW_GATEWAY_ADMIN_TOKEN: string;
    }
  }
}
export {};
