/**
 * One process's live copy of a stage table in the tool's schema (the read
 * stages per table, the write stages per group). It loads the rows, hears
 * about changes through LISTEN/NOTIFY where the server delivers it, and polls
 * the store's version sequence every `pollMs` in any case (PGlite's socket
 * server does not deliver notifications between connections; a dropped
 * listening connection loses them too), so a change is seen within a second.
 *
 * When the store cannot be reached, the rows last loaded are kept: callers go
 * on at the stages last known. What a stage means, and who hears about a
 * change, is the owner's (ReadFlags, WriteFlags): it gets the rows from
 * before each load that may have changed something.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import type { Queryable } from '../postgres/database.js';

export interface WatchedStageStore<R> {
  /** The NOTIFY channel a change is announced on. */
  channel: string;
  /** The sequence every change draws its version from (a constant, schema-qualified). */
  versionSequence: string;
  load(db: Queryable): Promise<R[]>;
  keyOf(row: R): string;
  versionOf(row: R): number;
  /** For logs: what is kept ("read stages"). */
  what: string;
}

export interface StageWatcherOptions {
  /** The store; null runs on nothing loaded (every owner answers its default). */
  pool: pg.Pool | null;
  /** How often the version is polled (ms). Default 250. */
  pollMs?: number;
  /** Listen for change notifications on a connection of the pool. Default true. */
  listen?: boolean;
  log?: Logger;
}

export interface StageWatcherHooks<R> {
  /** Runs on every poll tick, before the version is read (e.g. an override file check). */
  onTick?(): void;
  /** After a load: `before` is the rows as they were. */
  onLoad(before: ReadonlyMap<string, R>): void;
}

export class StageWatcher<R> {
  private current = new Map<string, R>();
  private version = -1;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private unreachableSince: number | null = null;

  constructor(
    private readonly store: WatchedStageStore<R>,
    private readonly options: StageWatcherOptions,
    private readonly hooks: StageWatcherHooks<R>,
  ) {}

  /** Loads the rows (a store that cannot be reached is logged, not thrown) and starts watching. */
  async start(): Promise<void> {
    this.hooks.onTick?.();
    await this.refresh();
    if (this.options.pool && this.options.listen !== false) await this.startListening();
    this.timer = setInterval(() => {
      this.hooks.onTick?.();
      void this.tick();
    }, this.options.pollMs ?? 250);
    this.timer.unref();
  }

  get rows(): ReadonlyMap<string, R> {
    return this.current;
  }

  /** The highest version among the rows last loaded (-1 before the first load). */
  get loadedVersion(): number {
    return this.version;
  }

  /** False while the store cannot be reached (rows are the last known). */
  get reachable(): boolean {
    return this.unreachableSince === null;
  }

  /** Reads the rows now (waits for a read already under way, then reads again). */
  async refresh(): Promise<void> {
    // One load at a time: two at once would both compare against the same old
    // rows and announce one change twice.
    while (this.polling) await this.polling;
    this.polling = this.load(true).finally(() => (this.polling = undefined));
    await this.polling;
  }

  private async tick(): Promise<void> {
    if (this.polling || this.closed) return;
    this.polling = this.load(false).finally(() => (this.polling = undefined));
    await this.polling;
  }

  private async load(always: boolean): Promise<void> {
    const pool = this.options.pool;
    if (!pool || this.closed) return;
    try {
      if (!always) {
        const { rows } = await pool.query<{ v: string; called: boolean }>(
          `SELECT last_value AS v, is_called AS called FROM ${this.store.versionSequence}`,
        );
        const version = rows[0]!.called ? Number(rows[0]!.v) : 0;
        if (version === this.version) return this.markReachable();
      }
      const before = this.current;
      const rows = await this.store.load(pool);
      this.current = new Map(rows.map((r) => [this.store.keyOf(r), r]));
      this.version = rows.reduce((max, r) => Math.max(max, this.store.versionOf(r)), 0);
      this.markReachable();
      this.hooks.onLoad(before);
    } catch (err) {
      if (this.unreachableSince === null) {
        this.unreachableSince = Date.now();
        this.options.log?.warn(
          { err: (err as Error).message },
          `flag store unreachable: keeping the last known ${this.store.what}`,
        );
      }
      this.dropListener();
    }
  }

  private markReachable(): void {
    if (this.unreachableSince !== null) {
      this.options.log?.info(
        { downMs: Date.now() - this.unreachableSince },
        'flag store reachable again',
      );
      this.unreachableSince = null;
      if (this.options.listen !== false && !this.listener) void this.startListening();
    }
  }

  private async startListening(): Promise<void> {
    const pool = this.options.pool;
    if (!pool || this.closed) return;
    try {
      const client = await pool.connect();
      client.on('notification', () => void this.refresh());
      client.on('error', () => this.dropListener());
      await client.query(`LISTEN ${this.store.channel}`);
      if (this.closed) client.release();
      else this.listener = client;
    } catch (err) {
      this.options.log?.debug({ err: (err as Error).message }, 'LISTEN unavailable: polling only');
    }
  }

  private dropListener(): void {
    const client = this.listener;
    this.listener = undefined;
    // A broken connection must not go back to the pool.
    client?.release(true);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.polling;
    const client = this.listener;
    this.listener = undefined;
    if (client) {
      await client.query(`UNLISTEN ${this.store.channel}`).catch(() => undefined);
      client.release();
    }
  }
}
