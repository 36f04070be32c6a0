/**
 * One process's view of the read stages. It loads them from the flag store,
 * hears about changes through LISTEN/NOTIFY where the server delivers it, and
 * polls the stage version sequence every `pollMs` in any case (PGlite's socket
 * server does not deliver notifications between connections; a dropped
 * listening connection loses them too), so a change is seen within a second.
 *
 * The last stages read are kept in memory: when the flag store cannot be
 * reached, reads go on at the stages last known (and at `postgres` for a table
 * never loaded). The emergency override forces `postgres` with no database at
 * all: from the environment when the process starts, or from a file whose
 * presence is checked on every tick (so an operator can create it on a live
 * host).
 */
import fs from 'node:fs';
import type pg from 'pg';
import { parseForcedTables, type Config } from '../config.js';
import type { Logger } from '../log.js';
import { readFlagRows, READ_FLAG_CHANNEL, type TableReadFlag } from './flagStore.js';
import type { TableStage } from './decide.js';

/** Tables forced to read Postgres: every one, or the named ones. */
export type ForcedTables = 'all' | readonly string[];

export interface ReadOverride {
  /** From the environment (TANDEM_READS_FORCE_POSTGRES). */
  forcePostgres?: ForcedTables;
  /** A file whose presence forces Postgres (TANDEM_READS_OVERRIDE_FILE): empty or `all` for every table, else table names. */
  file?: string;
}

/** The override the environment configures (TANDEM_READS_FORCE_POSTGRES, TANDEM_READS_OVERRIDE_FILE). */
export function readOverrideFromConfig(config: Pick<Config, 'readsForcePostgres' | 'readsOverrideFile'>): ReadOverride {
  return { forcePostgres: config.readsForcePostgres, file: config.readsOverrideFile };
}

export interface ReadFlagsOptions {
  /** The flag store; null runs on the override alone (every other table at `postgres`). */
  pool: pg.Pool | null;
  override?: ReadOverride;
  /** How often the stage version is polled (ms). Default 250. */
  pollMs?: number;
  /** Listen for change notifications on a connection of the pool. Default true. */
  listen?: boolean;
  log?: Logger;
}

export interface StageChangeEvent {
  table: string;
  before: TableStage;
  after: TableStage;
}

const POSTGRES_STAGE: TableStage = { stage: 'postgres', percent: 0, salt: '' };

function readOverrideFile(file: string): ForcedTables | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Present but unreadable: the operator meant to force something; force everything.
    return 'all';
  }
  const forced = parseForcedTables(text);
  return forced === 'all' || forced.length === 0 ? 'all' : forced;
}

export class ReadFlags {
  private stages = new Map<string, TableReadFlag>();
  private version = -1;
  private fileForced: ForcedTables | null = null;
  private timer: NodeJS.Timeout | undefined;
  private listener: pg.PoolClient | undefined;
  private polling: Promise<void> | undefined;
  private closed = false;
  private unreachableSince: number | null = null;
  private readonly listeners = new Set<(changes: StageChangeEvent[]) => void>();
  private readonly log: Logger | undefined;

  private constructor(private readonly options: ReadFlagsOptions) {
    this.log = options.log?.child({ component: 'read-flags' });
  }

  /** Loads the stages (a store that cannot be reached is logged, not thrown) and starts watching. */
  static async start(options: ReadFlagsOptions): Promise<ReadFlags> {
    const flags = new ReadFlags(options);
    flags.checkFile();
    await flags.refresh();
    if (options.pool && options.listen !== false) await flags.startListening();
    flags.timer = setInterval(() => {
      flags.checkFile();
      void flags.tick();
    }, options.pollMs ?? 250);
    flags.timer.unref();
    return flags;
  }

  /** The table's effective stage: `postgres` when forced by the override or never set. */
  stageOf(table: string): TableStage {
    if (this.isForced(table)) return POSTGRES_STAGE;
    const f = this.stages.get(table);
    return f ? { stage: f.stage, percent: f.percent, salt: f.salt } : POSTGRES_STAGE;
  }

  /** Whether the emergency override forces this table to Postgres. */
  isForced(table: string): boolean {
    for (const forced of [this.options.override?.forcePostgres, this.fileForced]) {
      if (forced === 'all' || forced?.includes(table)) return true;
    }
    return false;
  }

  /** The stored stages as last loaded (without the override). */
  storedStages(): TableReadFlag[] {
    return [...this.stages.values()];
  }

  /** False while the flag store cannot be reached (stages are the last known). */
  get reachable(): boolean {
    return this.unreachableSince === null;
  }

  onChange(listener: (changes: StageChangeEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the stages now (waits for a read already under way, then reads again). */
  async refresh(): Promise<void> {
    // One load at a time: two at once would both compare against the same old
    // stages and announce one change twice.
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
          'SELECT last_value AS v, is_called AS called FROM tandem.read_flag_version',
        );
        const version = rows[0]!.called ? Number(rows[0]!.v) : 0;
        if (version === this.version) return this.markReachable();
      }
      const before = new Map([...this.stages.keys()].map((t) => [t, this.stageOf(t)]));
      const rows = await readFlagRows(pool);
      this.stages = new Map(rows.map((r) => [r.table, r]));
      this.version = rows.reduce((max, r) => Math.max(max, r.version), 0);
      this.markReachable();
      this.announce(before);
    } catch (err) {
      if (this.unreachableSince === null) {
        this.unreachableSince = Date.now();
        this.log?.warn({ err: (err as Error).message }, 'flag store unreachable: reads keep the last known stages');
      }
      this.dropListener();
    }
  }

  private markReachable(): void {
    if (this.unreachableSince !== null) {
      this.log?.info({ downMs: Date.now() - this.unreachableSince }, 'flag store reachable again');
      this.unreachableSince = null;
      if (this.options.listen !== false && !this.listener) void this.startListening();
    }
  }

  private announce(before: Map<string, TableStage>): void {
    const tables = new Set([...before.keys(), ...this.stages.keys()]);
    const changes: StageChangeEvent[] = [];
    for (const table of tables) {
      const b = before.get(table) ?? POSTGRES_STAGE;
      const a = this.stageOf(table);
      if (b.stage !== a.stage || b.percent !== a.percent) changes.push({ table, before: b, after: a });
    }
    if (changes.length === 0) return;
    for (const change of changes)
      this.log?.info({ table: change.table, from: change.before.stage, to: change.after.stage }, 'read stage changed');
    for (const listener of this.listeners) listener(changes);
  }

  private checkFile(): void {
    const file = this.options.override?.file;
    if (!file) return;
    const before = new Map([...this.stages.keys()].map((t) => [t, this.stageOf(t)]));
    const forced = readOverrideFile(file);
    if (JSON.stringify(forced) === JSON.stringify(this.fileForced)) return;
    this.fileForced = forced;
    this.log?.warn({ file, forced }, forced ? 'read override file present: forcing postgres' : 'read override file removed');
    this.announce(before);
  }

  private async startListening(): Promise<void> {
    const pool = this.options.pool;
    if (!pool || this.closed) return;
    try {
      const client = await pool.connect();
      client.on('notification', () => void this.refresh());
      client.on('error', () => this.dropListener());
      await client.query(`LISTEN ${READ_FLAG_CHANNEL}`);
      if (this.closed) client.release();
      else this.listener = client;
    } catch (err) {
      this.log?.debug({ err: (err as Error).message }, 'LISTEN unavailable: polling only');
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
      await client.query(`UNLISTEN ${READ_FLAG_CHANNEL}`).catch(() => undefined);
      client.release();
    }
  }
}
