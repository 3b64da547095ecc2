/** Prices and costs: which model costs what on which binding, and what a request spent. */
export { costMicros, worstCaseMicros } from "./cost";
export { decimalUsdToMicros, formatUsd, MICROS_PER_USD } from "./money";
export { chargesUnknownAsFree, lookupPrice, priceFor, type ModelPrice, type PricedBinding } from "./price";
export { unpricedModels } from "./coverage";
