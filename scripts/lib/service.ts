import type { Logger } from "./logger";

/**
 * A long-running part of `npm start`: the chain today; the exchange server and the indexer later.
 * The orchestrator starts services one after the other (each may use what the earlier ones
 * provide), and stops them in the reverse order.
 */
export interface Service {
  /** Short name, used in logs. */
  readonly name: string;
  /** Starts the service and resolves when it is ready to serve. */
  start(ctx: ServiceContext): Promise<void>;
  /** Stops the service; called at most once, and only after a successful start. */
  stop(): Promise<void>;
}

export interface ServiceContext {
  /** The service's own logger (`component` = its name). */
  log: Logger;
  /** Reports a failure after start (a crashed child process, say): the orchestrator then stops everything. */
  fail(error: Error): void;
}

/** Starts services in order, stops them in reverse order, and reports the first failure of any. */
export class ServiceGroup {
  private readonly started: Service[] = [];
  private failure: ((error: Error) => void) | undefined;
  /** Settles with the first error a running service reports through `ctx.fail`. */
  readonly failed: Promise<Error>;

  constructor(private readonly log: Logger) {
    this.failed = new Promise<Error>((resolve) => (this.failure = resolve));
  }

  async start<S extends Service>(service: S): Promise<S> {
    const log = this.log.child({ component: service.name });
    const t0 = performance.now();
    await service.start({
      log,
      fail: (error) => {
        log.error({ err: error }, "service failed");
        this.failure?.(error);
      },
    });
    this.started.push(service);
    log.info({ ms: Math.round(performance.now() - t0) }, "service started");
    return service;
  }

  /** Stops every started service, last first; an error stopping one is logged and the rest still stop. */
  async stopAll(): Promise<boolean> {
    let clean = true;
    while (this.started.length > 0) {
      const service = this.started.pop();
      if (!service) break;
      const log = this.log.child({ component: service.name });
      try {
        await service.stop();
        log.info("service stopped");
      } catch (err) {
        clean = false;
        log.error({ err }, "service did not stop cleanly");
      }
    }
    return clean;
  }
}
