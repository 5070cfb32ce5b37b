import { applyOverrides } from '../config/service-overrides.js';
import type { ServiceConfig } from '../config/service-settings.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/types.js';

/**
 * The service settings the pipeline answers with: the config file's, with what an owner changed in
 * the console laid over them, applied without a restart on every instance.
 *
 * How a change arrives: every `pollMs` (2 s) this instance reads the store's settings version (a
 * MAX over a handful of rows: ~10 µs on SQLite, one round trip on MySQL, nothing per message) and
 * reloads when it grew; the instance whose console saved the change is told at once (`reload`,
 * through the main thread), so there the very next message uses it. Checking the version on every
 * message instead would be exact everywhere but adds a database round trip to each message on
 * MySQL; a change an owner makes by hand can wait two seconds on the other instances.
 */
export class LiveSettings {
  private service: ServiceConfig;
  private version = -1;
  private loading: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;

  constructor(
    private readonly store: Store,
    private readonly base: ServiceConfig,
    private readonly logger: Logger,
    private readonly pollMs = 2000,
  ) {
    this.service = base;
  }

  /** The settings now; waits for a reload in progress (one asked for by a save is then applied). */
  async current(): Promise<ServiceConfig> {
    if (this.loading) await this.loading;
    return this.service;
  }

  /** Reads the store's overrides again if they changed (`force`: whatever the version says). */
  reload(force = false): Promise<void> {
    const run = async () => {
      try {
        const v = await this.store.consoleSettings.version();
        if (v !== this.version || force) {
          const rows = await this.store.consoleSettings.list();
          this.service = applyOverrides(this.base, rows);
          if (this.version !== -1)
            this.logger.info({ version: v }, 'settings changed in the console are applied');
          this.version = v;
        }
        if (this.failing) this.logger.info('console settings can be read again');
        this.failing = false;
      } catch (err) {
        // The store is down: keep answering with the settings last read; the next poll tries again.
        if (!this.failing)
          this.logger.warn(
            { err: { message: (err as Error).message } },
            'could not read the settings changed in the console; answering with the last ones read',
          );
        this.failing = true;
      }
    };
    // One read at a time; a reload asked for during one runs after it (it may carry a newer save).
    const next: Promise<void> = (this.loading ?? Promise.resolve()).then(run).finally(() => {
      if (this.loading === next) this.loading = undefined;
    });
    this.loading = next;
    return next;
  }

  async start(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch(() => {}); // never rejects: a failed read is logged inside
    }, this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}
