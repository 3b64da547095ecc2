import type { ProviderBinding } from "./bundle";

/** One place a request may be served: a binding of the key's chain and the model id sent to it. */
export interface ModelTarget {
  binding: ProviderBinding;
  /** The concrete model id sent upstream. */
  model: string;
}
