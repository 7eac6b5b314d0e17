/**
 * Monitoring, reporting and verification (MRV), SDK side: the emissions calculator of the sector
 * accounting guidelines and the `ets-report/1` report format (docs/mrv.md).
 */
export * from "./calculator";
export * from "./report";
