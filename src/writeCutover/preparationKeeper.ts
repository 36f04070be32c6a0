/**
 * Keeps an application's Convex write paths supplied while some write group's
 * writer is Convex: every `intervalMs`, and at once when the write stages
 * change, it calls the application's `prepare(tables)` for the tables Convex
 * writes (the story site's reserves ids from the Postgres sequences when fewer
 * than its low-water mark are left, and saves users it has not seen). Without
 * it a group that writes in Convex runs out of reserved ids after its first
 * batch and every insert is refused (`keys_exhausted`).
 *
 * Runs never overlap: a tick that comes while one is running is dropped. A
 * failed run is logged and tried again at the next tick; the write paths keep
 * whatever ids they still hold meanwhile. No group on Convex: no calls.
 */
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import { convexWriterTables, type WriteGroupSource } from '../reverseSync/service.js';

export interface PreparationKeeperOptions {
  stages: WriteGroupSource;
  /** Makes the Convex side ready for the write paths of these tables; safe to repeat. */
  prepare(tables: readonly string[]): Promise<void>;
  /** Default 5,000 ms. */
  intervalMs?: number;
  log?: Logger;
}

export class PreparationKeeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly unsubscribe: () => void;
  private readonly log: Logger;
  /** Completed runs (each called `prepare` once) and failed ones. */
  readonly counts = { runs: 0, failures: 0 };

  private constructor(private readonly options: PreparationKeeperOptions) {
    this.log = (options.log ?? silentLogger).child({ component: 'convex-write-preparation' });
    this.unsubscribe = options.stages.onChange(() => void this.tick());
  }

  static start(options: PreparationKeeperOptions): PreparationKeeper {
    const keeper = new PreparationKeeper(options);
    keeper.timer = setInterval(() => void keeper.tick(), options.intervalMs ?? 5_000);
    keeper.timer.unref();
    void keeper.tick();
    return keeper;
  }

  /** One run now, unless one is under way (then that one's promise). */
  tick(): Promise<void> {
    if (this.running) return this.running;
    const tables = convexWriterTables(this.options.stages);
    if (tables.length === 0) return Promise.resolve();
    this.running = this.options
      .prepare(tables)
      .then(
        () => {
          this.counts.runs += 1;
        },
        (err: unknown) => {
          this.counts.failures += 1;
          this.log.warn({ err, tables }, 'preparing the Convex write paths failed; trying again at the next tick');
        },
      )
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  /** Stops the timer and the stage subscription, then waits for a run under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe();
    await this.running;
  }
}
