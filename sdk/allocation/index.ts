/**
 * The allocation engine: market scope (who is covered), the allocation input file
 * (`ets-allocation/1`), the two methods (grandfathering, benchmark) and the yearly plan with the
 * hashes that bind it to the input and to the on-chain issuance. See `docs/allocation.md`.
 */
export * from "./coverage";
export * from "./input";
export * from "./methods";
export * from "./plan";
