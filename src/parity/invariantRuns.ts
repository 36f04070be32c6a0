/**
 * Invariant checks of both stores, stored in the parity history (one run per
 * store and invariant). The invariants come from the suites the project
 * config lists (invariantSuite.ts); with none, there is nothing to check.
 */
import type pg from 'pg';
import type { ParityReader } from '../convex/target.js';
import { ConfigError } from '../core/errors.js';
import { recordRuns, type RunRecord } from './history.js';
import type { InvariantSuite, InvariantViolation } from './invariantSuite.js';
import type { ToolSchema } from '../core/toolSchema.js';

export type InvariantStore = 'postgres' | 'convex';

export interface InvariantReport {
  postgres?: InvariantViolation[];
  convex?: InvariantViolation[];
  clean: boolean;
}

export interface InvariantRunOptions {
  suites: readonly InvariantSuite[];
  stores?: readonly InvariantStore[];
  record?: boolean;
  now?: () => Date;
}

function records(
  suite: InvariantSuite,
  store: InvariantStore,
  violations: InvariantViolation[],
  startedAt: Date,
  finishedAt: Date,
): RunRecord[] {
  return suite.invariants.map((definition) => {
    const mine = violations.filter((v) => v.invariant === definition.invariant);
    return {
      kind: 'invariants',
      table: definition.table,
      mode: store,
      suite: suite.name,
      invariant: String(definition.invariant),
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
  pool: pg.Pool, tool: ToolSchema,
  reader: ParityReader | null,
  options: InvariantRunOptions,
): Promise<InvariantReport> {
  const now = options.now ?? (() => new Date());
  const stores = options.stores ?? ['postgres', 'convex'];
  const report: InvariantReport = { clean: true };
  const runs: RunRecord[] = [];
  for (const store of stores) {
    const found: InvariantViolation[] = [];
    for (const suite of options.suites) {
      const startedAt = now();
      const violations =
        store === 'postgres'
          ? await suite.checkPostgres(pool)
          : await suite.checkConvex(requireReader(reader));
      found.push(...violations);
      runs.push(...records(suite, store, violations, startedAt, now()));
    }
    report[store] = found;
    report.clean &&= found.length === 0;
  }
  if (options.record ?? true) await recordRuns(pool, tool, runs);
  return report;
}
