/**
 * One process's view of the write stages, kept live the way ReadFlags keeps
 * the read stages (the shared StageWatcher: LISTEN/NOTIFY plus a poll of the
 * version sequence, so a change reaches every instance within a second).
 *
 * There is no emergency override to Postgres here, unlike reads: sending a
 * group's writes to Postgres while Convex is its writer, without draining
 * reverse sync first, would split its data across two sources of truth. The
 * way back is `rollbackWriteStage`. When the store cannot be reached, writes
 * go on at the stages last known; a group never loaded writes to Postgres.
 */
import type pg from 'pg';
import { StageWatcher } from '../cutover/stageWatcher.js';
import type { Logger } from '../log.js';
import { readWriteGroups, writeStageChannel, type StoredWriteGroup } from './groupStore.js';
import type { WriteStage } from './writeStages.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** Where a router reads stages from: WriteFlags, or anything answering the same questions (tests). */
export interface WriteStageSource {
  stageOf(group: string): WriteStage;
  /** True while a rollback holds the group's writes. */
  isPaused?(group: string): boolean;
  /** Called when stages or pauses may have changed. */
  onChange?(listener: (changes: WriteStageChangeEvent[]) => void): () => void;
  /**
   * Reads the stored stages now. The router calls it when a switch in this
   * process lifts its hold, so held writes see the stage the switch committed
   * rather than the last one polled.
   */
  refresh?(): Promise<void>;
}

export interface WriteStageChangeEvent {
  group: string;
  before: { stage: WriteStage; paused: boolean };
  after: { stage: WriteStage; paused: boolean };
}

export interface WriteFlagsOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool | null;
  /** How often the stage version is polled (ms). Default 250. */
  pollMs?: number;
  listen?: boolean;
  log?: Logger;
}

export class WriteFlags implements WriteStageSource {
  private readonly watcher: StageWatcher<StoredWriteGroup>;
  private readonly listeners = new Set<(changes: WriteStageChangeEvent[]) => void>();
  private readonly log: Logger | undefined;

  private constructor(options: WriteFlagsOptions) {
    this.log = options.log?.child({ component: 'write-flags' });
    this.watcher = new StageWatcher(
      {
        channel: writeStageChannel(options.tool),
        versionSequence: `${options.tool.sql}.write_stage_version`,
        load: (db) => readWriteGroups(db, options.tool),
        keyOf: (g) => g.name,
        versionOf: (g) => g.version,
        what: 'write stages',
      },
      { pool: options.pool, pollMs: options.pollMs, listen: options.listen, log: this.log },
      { onLoad: (before) => this.announce(before) },
    );
  }

  static async start(options: WriteFlagsOptions): Promise<WriteFlags> {
    const flags = new WriteFlags(options);
    await flags.watcher.start();
    return flags;
  }

  stageOf(group: string): WriteStage {
    return this.watcher.rows.get(group)?.stage ?? 'postgres';
  }

  isPaused(group: string): boolean {
    return (this.watcher.rows.get(group)?.pausedAt ?? null) !== null;
  }

  /** The saved groups as last loaded. */
  groups(): StoredWriteGroup[] {
    return [...this.watcher.rows.values()];
  }

  get reachable(): boolean {
    return this.watcher.reachable;
  }

  onChange(listener: (changes: WriteStageChangeEvent[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  refresh(): Promise<void> {
    return this.watcher.refresh();
  }

  close(): Promise<void> {
    return this.watcher.close();
  }

  private announce(before: ReadonlyMap<string, StoredWriteGroup>): void {
    const state = (g: StoredWriteGroup | undefined) => ({
      stage: g?.stage ?? ('postgres' as WriteStage),
      paused: (g?.pausedAt ?? null) !== null,
    });
    const changes: WriteStageChangeEvent[] = [];
    for (const group of new Set([...before.keys(), ...this.watcher.rows.keys()])) {
      const [b, a] = [state(before.get(group)), state(this.watcher.rows.get(group))];
      if (b.stage !== a.stage || b.paused !== a.paused)
        changes.push({ group, before: b, after: a });
    }
    if (changes.length === 0) return;
    for (const c of changes)
      this.log?.info(
        { group: c.group, from: c.before.stage, to: c.after.stage, paused: c.after.paused },
        'write stage changed',
      );
    for (const listener of this.listeners) listener(changes);
  }
}
