export * from "./contracts";
export * from "./errors";
export * from "./manifest";
export * from "./permissions";
export * from "./provider";
export * from "./roles";
export * from "./units";
