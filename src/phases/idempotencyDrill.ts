/**
 * `tandem drill idempotency <table>`: replays changes Convex has already
 * applied and proves that nothing changed there, by version and by content
 * hash. A mirror that applied a replayed change twice (a missing version
 * check, an apply that is not idempotent) fails the drill; the outcome is
 * recorded as evidence for the checklist's idempotency gate either way.
 */
import type pg from 'pg';
import type { ApplyResult } from '../core/changes.js';
import { InvalidInputError } from '../core/errors.js';
import type { ConvexTarget, ParityReader, HashedRow } from '../convex/target.js';
import { requireTable, type MirrorConfig } from '../mapping/index.js';
import { convexRowsByKeys } from '../parity/convexReads.js';
import { mirrorMapper } from '../relay/changeMapper.js';
import { appliedEvents } from '../outbox/outboxStore.js';
import { packTransactions } from '../relay/packing.js';
import { mapTransactions } from '../relay/applyClaimed.js';
import { recordEvidence, type Evidence } from './store.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface IdempotencyDrillOptions {
  /** How many of the newest applied changes to replay (default 500). */
  limit?: number;
  now?: Date;
}

export interface IdempotencyDrillResult {
  table: string;
  passed: boolean;
  /** Changes replayed, and the distinct keys they touch. */
  replayed: number;
  keys: number;
  /** What Convex reported for the replay: a passing drill applies nothing. */
  result: ApplyResult;
  /** Keys whose version or content hash differs after the replay (at most 20 shown). */
  changedKeys: string[];
  evidence: Evidence;
}

function sameRow(a: HashedRow | undefined, b: HashedRow | undefined): boolean {
  if (!a || !b) return a === b;
  return a.version === b.version && a.hash === b.hash;
}

export async function idempotencyDrill(
  pool: pg.Pool, tool: ToolSchema,
  target: ConvexTarget & ParityReader,
  mirror: MirrorConfig,
  tableName: string,
  options: IdempotencyDrillOptions = {},
): Promise<IdempotencyDrillResult> {
  const table = requireTable(mirror, tableName);
  const limit = options.limit ?? 500;
  if (!Number.isInteger(limit) || limit < 1)
    throw new InvalidInputError('limit', 'must be a whole number ≥ 1');
  const transactions = await appliedEvents(pool, tool, table.name, limit);
  const events = transactions.flatMap((t) => t.events);
  if (events.length === 0)
    throw new InvalidInputError(
      'table',
      `${table.name} has no applied changes left in the outbox to replay: write to it (or run before pruning)`,
    );
  const keys = [...new Set(events.map((e) => e.key))];
  const before = await convexRowsByKeys(target, table.name, keys);

  // The relay's own mapping and packing: the replay is what the relay would send.
  const { sized } = mapTransactions(transactions, mirrorMapper(mirror));
  const result: ApplyResult = { applied: 0, skipped: 0 };
  for (const call of packTransactions(sized)) {
    const outcome = await target.applyBatch(call.batches);
    result.applied += outcome.applied;
    result.skipped += outcome.skipped;
  }

  const after = await convexRowsByKeys(target, table.name, keys);
  const changed = keys.filter((k) => !sameRow(before.get(k), after.get(k)));
  const passed = result.applied === 0 && changed.length === 0;
  const summary = passed
    ? `${events.length} change(s) of ${keys.length} key(s) replayed, all skipped, versions and hashes unchanged`
    : `${events.length} change(s) replayed: ${result.applied} applied again, ${changed.length} key(s) changed`;
  const evidence = await recordEvidence(pool, tool, {
    table: table.name,
    kind: 'idempotency-drill',
    passed,
    recordedAt: options.now ?? new Date(),
    detail: {
      summary,
      replayed: events.length,
      keys: keys.length,
      applied: result.applied,
      skipped: result.skipped,
      changedKeys: changed.slice(0, 20),
      seqRange: [Math.min(...events.map((e) => e.seq)), Math.max(...events.map((e) => e.seq))],
    },
  });
  return {
    table: table.name,
    passed,
    replayed: events.length,
    keys: keys.length,
    result,
    changedKeys: changed.slice(0, 20),
    evidence,
  };
}
