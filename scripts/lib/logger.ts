import pino, { type Logger } from "pino";

export type { Logger } from "pino";

/**
 * The orchestrator's root logger: JSON lines on standard output (pino), one child per component
 * (`log.child({ component: "chain" })`). Pipe through a pino formatter for a human view.
 */
export function createLogger(level: string = "info"): Logger {
  return pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger that drops everything (library defaults, tests). */
export const silentLogger: Logger = pino({ level: "silent" });
