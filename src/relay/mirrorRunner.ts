/**
 * The mirror helper: runs an application write as one Postgres transaction
 * tagged with an operation key, then, after commit, tries to apply that
 * transaction's captured events to Convex within a bounded wait. A Convex
 * failure (or a slow Convex) never fails the user's write: the events stay in
 * the outbox and the relay applies them.
 */
import crypto from 'node:crypto';
import type pg from 'pg';
import { operationKeySettings } from '../capture/index.js';
import type { WriteRunner } from '../core/writeRunner.js';
import { killPoint, killPointsArmed } from '../core/killPoints.js';
import type { Logger } from '../log.js';
import { withRetriedTransaction } from '../postgres/database.js';
import type { Relay } from './relay.js';
import type { RelayMetrics } from './metrics.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface MirrorOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  /** How long a write waits for its own events to reach Convex; 0 = fully asynchronous. */
  waitMs: number;
}

export type MirrorOutcome = 'mirrored' | 'pending' | 'failed' | 'async';

interface CommittedWrite<T> {
  result: T;
  txid: string;
  tables: string[];
}

/** The transaction's client, with a kill point before each statement when a crash test armed one. */
function withStatementKillPoints(tx: pg.PoolClient): pg.PoolClient {
  if (!killPointsArmed) return tx;
  return new Proxy(tx, {
    get(client, property) {
      if (property === 'query')
        return (...args: unknown[]) => {
          killPoint('mirror.statement');
          return (client.query as (...a: unknown[]) => unknown)(...args);
        };
      const value: unknown = Reflect.get(client, property, client);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(client) : value;
    },
  });
}

export class MirrorRunner implements WriteRunner {
  constructor(
    private readonly pool: pg.Pool,
    private readonly relay: Pick<Relay, 'round'>,
    private readonly metrics: RelayMetrics,
    private readonly log: Logger,
    private readonly options: MirrorOptions,
  ) {}

  async run<T>(operation: string, work: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    const operationKey = `${operation}:${crypto.randomUUID()}`;
    const started = performance.now();
    const committed = await withRetriedTransaction(
      this.pool,
      async (tx): Promise<CommittedWrite<T>> => {
        const result = await work(withStatementKillPoints(tx));
        // Read after the work: the transaction id exists only once it has written.
        const { rows } = await tx.query<{ txid: string | null; tables: string[] | null }>(
          `SELECT pg_current_xact_id_if_assigned()::text AS txid,
                (SELECT array_agg(DISTINCT table_name ORDER BY table_name) FROM ${this.options.tool.sql}.outbox
                  WHERE txid = pg_current_xact_id_if_assigned()) AS tables`,
        );
        killPoint('mirror.beforeCommit');
        return { result, txid: rows[0]!.txid ?? '', tables: rows[0]!.tables ?? [] };
      },
      operationKeySettings(operationKey),
    );
    killPoint('mirror.afterCommit');
    const outcome = await this.applyNow(committed.txid, committed.tables.length > 0);
    killPoint('mirror.afterApply');
    const latencyMs = Math.round((performance.now() - started) * 10) / 10;
    this.metrics.mirrorWrites.inc({ operation, outcome });
    this.log.info(
      {
        operationKey,
        operation,
        tables: committed.tables,
        txid: committed.txid || null,
        outcome,
        latencyMs,
      },
      'mirrored write',
    );
    return committed.result;
  }

  /** The fast path: apply this transaction's events now, giving up (not failing) after `waitMs`. */
  private async applyNow(txid: string, captured: boolean): Promise<MirrorOutcome> {
    if (!captured) return 'mirrored';
    if (this.options.waitMs <= 0) return 'async';
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<MirrorOutcome>((resolve) => {
      timer = setTimeout(() => resolve('pending'), this.options.waitMs);
    });
    // If the wait runs out, the apply goes on in the background and completes
    // its claim; otherwise the lease expires and the relay takes the events.
    const attempt = this.relay
      .round(`mirror:${process.pid}`, txid)
      .then((o): MirrorOutcome =>
        o && o.applied > 0 && o.retried === 0 && o.dead === 0
          ? 'mirrored'
          : o
            ? 'failed'
            : 'pending',
      )
      .catch((err: unknown): MirrorOutcome => {
        this.log.warn({ err, txid }, 'mirror fast path failed; the relay will apply the events');
        return 'failed';
      });
    try {
      return await Promise.race([attempt, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
