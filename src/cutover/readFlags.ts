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
import { readFlagRows, readFlagChannel, type TableReadFlag } from './flagStore.js';
import type { TableStage } from './decide.js';
import { StageWatcher } from './stageWatcher.js';
import { InstanceRegistry, type InstanceRegistryOptions } from './instances.js';
import type { ToolSchema } from '../core/toolSchema.js';

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
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** The flag store; null runs on the override alone (every other table at `postgres`). */
  pool: pg.Pool | null;
  override?: ReadOverride;
  /** How often the stage version is polled (ms). Default 250. */
  pollMs?: number;
  /** Listen for change notifications on a connection of the pool. Default true. */
  listen?: boolean;
  /**
   * Register this process in the tool's schema (tandem.read_instance) and
   * acknowledge every stage version it applies, so a rollback drill can wait
   * for it. Default on whenever there is a pool; false leaves it out.
   */
  instance?: Omit<InstanceRegistryOptions, 'tool'> | false;
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
  private fileForced: ForcedTables | null = null;
  private readonly watcher: StageWatcher<TableReadFlag>;
  private readonly listeners = new Set<(changes: StageChangeEvent[]) => void>();
  private readonly log: Logger | undefined;
  private readonly registry: InstanceRegistry | null;

  private constructor(private readonly options: ReadFlagsOptions) {
    this.log = options.log?.child({ component: 'read-flags' });
    this.registry =
      options.pool && options.instance !== false
        ? new InstanceRegistry(options.pool, { log: this.log, ...options.instance, tool: options.tool })
        : null;
    this.watcher = new StageWatcher(
      {
        channel: readFlagChannel(options.tool),
        versionSequence: `${options.tool.sql}.read_flag_version`,
        load: (db) => readFlagRows(db, options.tool),
        keyOf: (r) => r.table,
        versionOf: (r) => r.version,
        what: 'read stages',
      },
      { pool: options.pool, pollMs: options.pollMs, listen: options.listen, log: this.log },
      {
        onTick: () => {
          this.checkFile();
          this.registry?.tick();
        },
        onLoad: (before) => {
          this.announce(this.effective(before));
          // After the listeners ran: the new stages are what this process now serves.
          this.registry?.acknowledge(this.watcher.loadedVersion);
        },
      },
    );
  }

  /** Loads the stages (a store that cannot be reached is logged, not thrown) and starts watching. */
  static async start(options: ReadFlagsOptions): Promise<ReadFlags> {
    const flags = new ReadFlags(options);
    await flags.watcher.start();
    // Registered before it serves: a drill started from now on waits for this process.
    await flags.registry?.settled();
    return flags;
  }

  /** The table's effective stage: `postgres` when forced by the override or never set. */
  stageOf(table: string): TableStage {
    return this.stageIn(this.watcher.rows, table);
  }

  private stageIn(rows: ReadonlyMap<string, TableReadFlag>, table: string): TableStage {
    if (this.isForced(table)) return POSTGRES_STAGE;
    const f = rows.get(table);
    return f ? { stage: f.stage, percent: f.percent, salt: f.salt } : POSTGRES_STAGE;
  }

  private effective(rows: ReadonlyMap<string, TableReadFlag>): Map<string, TableStage> {
    return new Map([...rows.keys()].map((t) => [t, this.stageIn(rows, t)]));
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
    return [...this.watcher.rows.values()];
  }

  /** This process's id in tandem.read_instance (null when it does not register). */
  get instanceId(): string | null {
    return this.registry?.id ?? null;
  }

  /** False while the flag store cannot be reached (stages are the last known). */
  get reachable(): boolean {
    return this.watcher.reachable;
  }

  onChange(listener: (changes: StageChangeEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the stages now (waits for a read already under way, then reads again). */
  refresh(): Promise<void> {
    return this.watcher.refresh();
  }

  private announce(before: Map<string, TableStage>): void {
    const tables = new Set([...before.keys(), ...this.watcher.rows.keys()]);
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
    const before = this.effective(this.watcher.rows);
    const forced = readOverrideFile(file);
    if (JSON.stringify(forced) === JSON.stringify(this.fileForced)) return;
    this.fileForced = forced;
    this.log?.warn({ file, forced }, forced ? 'read override file present: forcing postgres' : 'read override file removed');
    this.announce(before);
  }

  async close(): Promise<void> {
    await this.watcher.close();
    await this.registry?.close();
  }
}
