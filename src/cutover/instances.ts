/**
 * The running instances that hold the read stages, as the tool's schema knows
 * them (tandem.read_instance, migration 0015). Each ReadFlags registers its
 * process, beats every `heartbeatMs`, and acknowledges every load of the
 * stages with the highest stage version it applied. A rollback drill reads
 * them to wait for each live instance to follow a change and to say how long
 * it took; the control room can list them.
 *
 * One upsert does registration, heartbeat and acknowledgement, so an instance
 * that could not register at start (the store was down) registers on its
 * next beat. `applied_at` and `heartbeat_at` are stamped by the database
 * clock: instances on hosts whose clocks disagree are measured alike.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type pg from 'pg';
import type { Logger } from '../log.js';
import type { Queryable } from '../postgres/database.js';
import type { ToolSchema } from '../core/toolSchema.js';

/** How long after its last heartbeat an instance still counts as live (ms), by default. */
export const DEFAULT_STALE_AFTER_MS = 5_000;

export interface InstanceRegistryOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** What the process is (serve, dev, an application's name); shown beside the id. */
  label?: string;
  /** How often the heartbeat is written (ms). Default 1000. */
  heartbeatMs?: number;
  log?: Logger;
}

export interface ReadInstance {
  id: string;
  host: string;
  pid: number;
  label: string | null;
  startedAt: Date;
  heartbeatAt: Date;
  /** The highest stage version the instance applied, and when it applied it. */
  appliedVersion: number;
  appliedAt: Date | null;
  stoppedAt: Date | null;
  /** Not stopped, and its heartbeat is fresher than the staleness limit. */
  live: boolean;
}

const upsert = (tool: ToolSchema) => `INSERT INTO ${tool.sql}.read_instance (id, host, pid, label, started_at, heartbeat_at, applied_version, applied_at)
  VALUES ($1, $2, $3, $4, $5, now(), $6, now())
  ON CONFLICT (id) DO UPDATE SET
    heartbeat_at = now(),
    applied_at = CASE WHEN ${tool.sql}.read_instance.applied_version = EXCLUDED.applied_version
                      THEN ${tool.sql}.read_instance.applied_at ELSE now() END,
    applied_version = EXCLUDED.applied_version,
    stopped_at = NULL`;

export class InstanceRegistry {
  readonly id: string;
  private readonly host = os.hostname();
  private readonly startedAt = new Date();
  private appliedVersion = 0;
  private lastBeat = 0;
  private dirty = false;
  private flushing: Promise<void> | undefined;
  private failing = false;
  private closed = false;
  private pruned = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: InstanceRegistryOptions,
  ) {
    this.id = `${this.host}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
  }

  /** Records that the stages up to `version` are applied in this process (written at once). */
  acknowledge(version: number): void {
    this.appliedVersion = version;
    this.write();
  }

  /** Called on every poll tick: writes the heartbeat when it is due. */
  tick(): void {
    if (Date.now() - this.lastBeat >= (this.options.heartbeatMs ?? 1000)) this.write();
  }

  /** Waits for writes under way (tests and close). */
  async settled(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Marks the instance stopped, so no drill waits for it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
    await this.pool
      .query(`UPDATE ${this.options.tool.sql}.read_instance SET stopped_at = now() WHERE id = $1`, [this.id])
      .catch(() => undefined);
  }

  private write(): void {
    if (this.closed) return;
    this.dirty = true;
    // One write at a time, the latest state last: an acknowledgement made while
    // a heartbeat is being written follows it instead of racing it.
    this.flushing ??= this.flush().finally(() => (this.flushing = undefined));
  }

  private async flush(): Promise<void> {
    while (this.dirty && !this.closed) {
      this.dirty = false;
      this.lastBeat = Date.now();
      try {
        await this.pool.query(upsert(this.options.tool), [
          this.id,
          this.host,
          process.pid,
          this.options.label ?? null,
          this.startedAt,
          this.appliedVersion,
        ]);
        this.failing = false;
        if (!this.pruned) {
          // Each process start adds a row: the ones long gone are dropped by the next to start.
          this.pruned = true;
          await this.pool.query(
            `DELETE FROM ${this.options.tool.sql}.read_instance WHERE coalesce(stopped_at, heartbeat_at) < now() - interval '7 days'`,
          );
        }
      } catch (err) {
        // Logged once per outage: the heartbeat goes stale, which is what a drill should see.
        if (!this.failing)
          this.options.log?.warn(
            { err: (err as Error).message, instance: this.id },
            'instance heartbeat failed',
          );
        this.failing = true;
      }
    }
  }
}

interface InstanceRow {
  id: string;
  host: string;
  pid: number;
  label: string | null;
  started_at: Date;
  heartbeat_at: Date;
  applied_version: string;
  applied_at: Date | null;
  stopped_at: Date | null;
  live: boolean;
}

/**
 * The instances known, newest heartbeat first. `staleAfterMs` decides which
 * are live (default 5 s); instances stopped or silent for more than `keepMs`
 * (default a day) are left out.
 */
export async function listReadInstances(
  db: Queryable, tool: ToolSchema,
  options: { staleAfterMs?: number; keepMs?: number } = {},
): Promise<ReadInstance[]> {
  const { rows } = await db.query<InstanceRow>(
    `SELECT id, host, pid, label, started_at, heartbeat_at, applied_version, applied_at, stopped_at,
            (stopped_at IS NULL AND heartbeat_at > now() - make_interval(secs => $1 / 1000.0)) AS live
       FROM ${tool.sql}.read_instance
      WHERE coalesce(stopped_at, heartbeat_at) > now() - make_interval(secs => $2 / 1000.0)
      ORDER BY heartbeat_at DESC, id`,
    [options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS, options.keepMs ?? 86_400_000],
  );
  return rows.map((r) => ({
    id: r.id,
    host: r.host,
    pid: r.pid,
    label: r.label,
    startedAt: new Date(r.started_at),
    heartbeatAt: new Date(r.heartbeat_at),
    appliedVersion: Number(r.applied_version),
    appliedAt: r.applied_at ? new Date(r.applied_at) : null,
    stoppedAt: r.stopped_at ? new Date(r.stopped_at) : null,
    live: r.live,
  }));
}
