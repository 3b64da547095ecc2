import { publishKeys, type PublishScope } from "../control-plane/publish";
import type { AdminContext } from "./context";

/**
 * After a write: rebuild the affected auth bundles into KV now, so this colo sees the change at once
 * and the others within KV's propagation. A failure does not undo the write (it is committed); the
 * cron's refresh catches up, and the failure is logged.
 */
export async function publishAfterWrite(c: AdminContext, scope: PublishScope): Promise<void> {
  try {
    await publishKeys(c.env, c.get("config"), scope, c.get("log"));
  } catch (err) {
    c.get("log").warn("bundle_publish_failed", {
      error: err instanceof Error ? err.message : String(err),
      vk_ids: scope.vkIds?.join(","),
      provider_names: scope.providerNames?.join(","),
      project_ids: scope.projectIds?.join(","),
      principal_ids: scope.principalIds?.join(","),
    });
  }
}
