/** Invariant checks of both stores, stored in the parity history (one run per store and invariant). */
import type pg from 'pg';
import { checkInvariantsConvex } from '../app/invariants/convex.js';
import { INVARIANTS, type InvariantViolation } from '../app/invariants/definitions.js';
import { checkInvariantsPostgres } from '../app/invariants/postgres.js';
import type { ParityReader } from '../convex/target.js';
import { ConfigError } from '../core/errors.js';
import { recordRuns, type RunRecord } from './history.js';

export type InvariantStore = 'postgres' | 'convex';

export interface InvariantReport {
  postgres?: InvariantViolation[];
  convex?: InvariantViolation[];
  clean: boolean;
}

export interface InvariantRunOptions {
  stores?: readonly InvariantStore[];
  record?: boolean;
  now?: () => Date;
}

function records(store: InvariantStore, violations: InvariantViolation[], startedAt: Date, finishedAt: Date): RunRecord[] {
  return INVARIANTS.map((definition) => {
    const mine = violations.filter((v) => v.invariant === definition.invariant);
    return {
      kind: 'invariants',
      table: definition.table,
      mode: store,
      invariant: definition.invariant,
      startedAt,
      finishedAt,
      compared: 0,
      clean: mine.length === 0,
      drift: mine.map((v) => ({ kind: 'violation' as const, key: String(v.key), detail: v.detail })),
    };
  });
}

function requireReader(reader: ParityReader | null): ParityReader {
  if (!reader) throw new ConfigError('CONVEX_URL', 'checking invariants in Convex needs a Convex target');
  return reader;
}

export async function runInvariants(
  pool: pg.Pool,
  reader: ParityReader | null,
  options: InvariantRunOptions = {},
): Promise<InvariantReport> {
  const now = options.now ?? (() => new Date());
  const stores = options.stores ?? ['postgres', 'convex'];
  const report: InvariantReport = { clean: true };
  const runs: RunRecord[] = [];
  for (const store of stores) {
    const startedAt = now();
    const violations =
      store === 'postgres' ? await checkInvariantsPostgres(pool) : await checkInvariantsConvex(requireReader(reader));
    report[store] = violations;
    report.clean &&= violations.length === 0;
    runs.push(...records(store, violations, startedAt, now()));
  }
  if (options.record ?? true) await recordRuns(pool, runs);
  return report;
}
