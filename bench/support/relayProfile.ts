/**
 * Where a relay's time goes: a pool whose every query is timed and labelled by
 * what the statement does (claim, complete, drained check...), and a mapper
 * whose map() is timed. Times are summed over workers, so with one worker they
 * split the wall time; with several they overlap.
 */
import type pg from 'pg';
import type { ChangeMapper } from '../../src/relay/applyClaimed.js';

const LABELS: Array<[RegExp, string]> = [
  [/^\s*(BEGIN|COMMIT|ROLLBACK)/i, 'BEGIN/COMMIT'],
  [/claim_transactions\(/i, 'claim: one statement (relay lock, head, txid locks, insert)'],
  [/WHERE txid = ANY\(\$1::xid8\[\]\) AND status = 'pending'\s+ORDER BY seq/i, 'claim: read the claimed events'],
  [/complete_claim\(\$1::bigint\[\], \$2::bigint\)/i, 'complete: UPDATE status = done (+ release the claim)'],
  [/WHERE status = 'pending'[\s\S]*LIMIT 1\s*$/i, 'drained check'],
  [/min\(greatest\((o\.)?next_attempt_at/i, 'idle: time until next claimable'],
];

function labelOf(sql: string): string {
  for (const [pattern, label] of LABELS) if (pattern.test(sql)) return label;
  return 'other SQL';
}

export class RelayProfile {
  readonly ms = new Map<string, number>();
  readonly counts = new Map<string, number>();

  add(label: string, ms: number): void {
    this.ms.set(label, (this.ms.get(label) ?? 0) + ms);
    this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  reset(): void {
    this.ms.clear();
    this.counts.clear();
  }

  /** Wraps `query` of a pool (and of the clients it hands out) to time each statement. */
  timedPool(pool: pg.Pool): pg.Pool {
    type AnyQuery = (...args: unknown[]) => Promise<unknown>;
    const timeQuery =
      (target: object, query: unknown): AnyQuery =>
      async (...args: unknown[]) => {
        const first = args[0];
        const sql =
          typeof first === 'string'
            ? first
            : ((first as { text?: string } | undefined)?.text ?? '');
        const started = performance.now();
        try {
          return await (query as AnyQuery).apply(target, args);
        } finally {
          this.add(labelOf(sql), performance.now() - started);
        }
      };
    const wrapClient = (client: pg.PoolClient): pg.PoolClient =>
      new Proxy(client, {
        get: (target, prop, receiver) =>
          prop === 'query' ? timeQuery(target, target.query) : Reflect.get(target, prop, receiver),
      });
    return new Proxy(pool, {
      get: (target, prop, receiver) => {
        if (prop === 'query') return timeQuery(target, target.query);
        if (prop === 'connect') return async () => wrapClient(await target.connect());
        return Reflect.get(target, prop, receiver);
      },
    });
  }

  timedMapper(mapper: ChangeMapper): ChangeMapper {
    return {
      map: (change) => {
        const started = performance.now();
        try {
          return mapper.map(change);
        } finally {
          this.add('map (shared value mapping + size estimate)', performance.now() - started);
        }
      },
    };
  }
}
