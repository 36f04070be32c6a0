/**
 * `tandem repair [--tables a,b] [--keys k1,k2 | --key K ...]`: heals drifted
 * keys from each table's writer, read from the saved write groups. A table
 * Postgres writes has its Postgres rows re-emitted (deletes for keys Postgres
 * lacks) as outbox events for the relay; a table whose group writes in Convex
 * has Convex's documents copied into Postgres (rows Convex lacks deleted),
 * since outbox events would outrank the writer's versions in Convex.
 * Without keys: the unresolved drift of the parity history.
 */
import type { Command } from 'commander';
import { requireTable } from '../../index.js';
import { requireSchema } from '../../index.js';
import {
  InvalidInputError,
  openConvexTarget,
  parseKeyArgument,
  repairFromWriter,
  savedWriteSources,
  writeSourceOf,
  unresolvedDrift,
  type HttpConvexTarget,
  type WriterRepairResult,
} from '../../index.js';
import { commandContext, discover, parseList, withDatabase, cliActor } from '../context.js';

const actor = cliActor;
const collect = (value: string, previous: string[] = []) => [...previous, value];

function describe(r: WriterRepairResult): string {
  if (r.source === 'postgres')
    return `${r.table}: source postgres: ${r.upserts} row(s) re-emitted, ${r.deletes} delete(s) (${r.operationKey}); the relay applies them`;
  const skipped = r.skipped > 0 ? `, ${r.skipped} left to reverse sync (a newer change is on its way)` : '';
  return `${r.table}: source convex: ${r.upserts} row(s) copied into Postgres, ${r.deletes} delete(s)${skipped} (${r.operationKey})`;
}

export function register(program: Command): void {
  program
    .command('repair')
    .description(
      "Heal drifted keys from each table's writer: Postgres rows re-emitted through the outbox, or Convex documents copied into Postgres for groups writing in Convex (default: unresolved drift from the parity history)",
    )
    .option('--tables <list>', 'comma-separated tables', parseList)
    .option('--keys <list>', 'comma-separated keys of one table (one-column keys)', parseList)
    .option('--key <key>', 'a key of one table, repeatable (a composite key as a JSON array of texts)', collect)
    .action(async (flags: { tables?: string[]; keys?: string[]; key?: string[] }) => {
      const given = [...(flags.keys ?? []), ...(flags.key ?? [])];
      if (given.length > 0 && flags.tables?.length !== 1) throw new InvalidInputError('keys', '--keys/--key need exactly one table in --tables');
      const ctx = await commandContext();
      const results = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const { mirror } = await discover(ctx, db);
        const work: Array<{ table: string; keys: string[] }> = [];
        if (given.length > 0) {
          const table = requireTable(mirror, flags.tables![0]!);
          work.push({ table: table.name, keys: given.map((k) => parseKeyArgument(table, k)) });
        } else {
          for (const u of await unresolvedDrift(db.pool, ctx.tool, new Date())) {
            if (!flags.tables?.length || flags.tables.includes(u.table)) work.push({ table: u.table, keys: u.keys.map((k) => k.key) });
          }
        }
        const sources = await savedWriteSources(db.pool, ctx.tool);
        const sourceOf = (table: string) => writeSourceOf(sources, table);
        // Opened only when a Convex-written table needs it (a Postgres-sourced repair needs no Convex),
        // and before any repair, so a missing Convex target is named with nothing written.
        const target: HttpConvexTarget | undefined = work.some((w) => sourceOf(w.table) === 'convex')
          ? openConvexTarget(ctx.config)
          : undefined;
        const convex = () => target!;
        const done: WriterRepairResult[] = [];
        for (const w of work)
          done.push(await repairFromWriter(db.pool, ctx.tool, mirror, w.table, w.keys, { source: sourceOf(w.table), convex, actor: actor() }));
        return done;
      });
      if (results.length === 0) process.stdout.write('nothing to repair (no unresolved drift in the parity history; run `tandem parity`)\n');
      for (const r of results) process.stdout.write(`${describe(r)}\n`);
    });
}
