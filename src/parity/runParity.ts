/**
 * Parity of the mirrored tables: per table a count, sample or full check,
 * candidate drift confirmed against the outbox (confirm.ts), and every run
 * stored in the history.
 */
import type pg from 'pg';
import type { ParityReader } from '../convex/target.js';
import { requireTable, type MirrorConfig, type TableConfig } from '../mapping/index.js';
import { confirmDrift, type ConfirmedDrift, type ConfirmOptions } from './confirm.js';
import { countConvexRows } from './convexReads.js';
import { noCandidates, type ParityMode, type ParityReport, type TableParity } from './findings.js';
import { fullCheck, type FullCheckOptions } from './fullCheck.js';
import { recordRuns, type RunRecord } from './history.js';
import { countPgRows } from './pgRows.js';
import { sampleCheck } from './sampleCheck.js';
import type { ToolSchema } from '../core/toolSchema.js';

export const DEFAULT_SAMPLE = 1000;

export interface ParityOptions extends FullCheckOptions, ConfirmOptions {
  /** Tables to check (default: every mirrored table, parents first). */
  tables?: readonly string[];
  mode?: ParityMode;
  /** Sample size (sample mode). Default 1,000. */
  sample?: number;
  /** Store the runs in the history (default true). */
  record?: boolean;
  /** The mirrored tables (discovery). */
  config: MirrorConfig;
  /** Time source (default the clock), so tests can place runs on given days. */
  now?: () => Date;
}

interface Checked {
  pgRows: number;
  convexRows: number;
  compared: number;
  note?: string;
}

async function checkTable(
  pool: pg.Pool, tool: ToolSchema,
  reader: ParityReader,
  table: TableConfig,
  options: ParityOptions,
): Promise<{ parity: TableParity; driftKeys: ConfirmedDrift['keys'] }> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const mode = options.mode ?? 'full';
  const candidates = noCandidates();
  let checked: Checked;
  if (mode === 'count') {
    checked = { pgRows: await countPgRows(pool, table), convexRows: await countConvexRows(reader, table.name), compared: 0 };
  } else if (mode === 'sample') {
    const size = Math.max(1, Math.floor(options.sample ?? DEFAULT_SAMPLE));
    const pgRows = await countPgRows(pool, table);
    if (size >= pgRows) {
      const full = await fullCheck(pool, reader, table, candidates, options);
      const note = `sample of ${size} covers the whole table (${full.pgRows} rows): every row compared, by range hashes`;
      checked = { pgRows: full.pgRows, convexRows: full.convexRows, compared: full.pgRows, note };
    } else {
      const { compared } = await sampleCheck(pool, reader, table, size, candidates);
      checked = { pgRows, convexRows: await countConvexRows(reader, table.name), compared };
    }
  } else {
    const full = await fullCheck(pool, reader, table, candidates, options);
    checked = { pgRows: full.pgRows, convexRows: full.convexRows, compared: full.pgRows };
  }
  const drift = await confirmDrift(pool, tool, reader, table, candidates, options);
  const keyDrift = drift.missing.length + drift.extra.length + drift.different.length + drift.pending.length;
  const countsDiffer = checked.pgRows !== checked.convexRows && keyDrift === 0;
  // Full mode saw every key; a count difference left with no drifted key came from writes during the scan.
  const countDrift = countsDiffer && mode !== 'full' && !checked.note;
  const note = [
    checked.note,
    countDrift && `row counts differ: Postgres ${checked.pgRows}, Convex ${checked.convexRows}`,
  ]
    .filter(Boolean)
    .join('; ');
  const parity: TableParity = {
    table: table.name,
    mode,
    ...checked,
    missing: drift.missing,
    extra: drift.extra,
    different: drift.different,
    pending: drift.pending,
    differences: drift.differences,
    unrepresentable: drift.unrepresentable,
    ...(note ? { note } : {}),
    clean: keyDrift === 0 && !countDrift,
    startedAt,
    finishedAt: now(),
  };
  return { parity, driftKeys: drift.keys };
}

function runRecord(result: TableParity, keys: ConfirmedDrift['keys']): RunRecord {
  const drift = (['missing', 'extra', 'different', 'pending'] as const).flatMap((kind) =>
    keys[kind].map((key) => ({ kind, key })),
  );
  return {
    kind: 'parity',
    table: result.table,
    mode: result.mode,
    startedAt: result.startedAt,
    finishedAt: result.finishedAt,
    pgRows: result.pgRows,
    convexRows: result.convexRows,
    compared: result.compared,
    clean: result.clean,
    ...(result.note ? { note: result.note } : {}),
    drift,
  };
}

export async function runParity(pool: pg.Pool, tool: ToolSchema, reader: ParityReader, options: ParityOptions): Promise<ParityReport> {
  const config = options.config;
  const names = options.tables?.length ? options.tables : config.tables.map((t) => t.name);
  const tables = names.map((name) => requireTable(config, name));
  const report: ParityReport = { tables: {}, clean: true };
  const records: RunRecord[] = [];
  for (const table of tables) {
    const { parity, driftKeys } = await checkTable(pool, tool, reader, table, options);
    records.push(runRecord(parity, driftKeys));
    report.tables[table.name] = parity;
    report.clean &&= parity.clean;
  }
  if (options.record ?? true) await recordRuns(pool, tool, records);
  return report;
}
