import type { Context } from "hono";
import type { AppEnv } from "../http/app-env";

/** The admin sub-app's Hono typing: the public app's, plus who is making the change. */
export interface AdminEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** `admin:<first 8 hex of SHA-256(token)>`, recorded in the audit log. */
    actor: string;
  };
}

export type AdminContext = Context<AdminEnv>;
