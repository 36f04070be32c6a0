/**
 * `tandem repair [--tables a,b] [--keys k1,k2 | --key K ...]`: re-emits the
 * Postgres rows of drifted keys (deletes for keys Postgres lacks) as outbox
 * events for the relay. Without keys: the unresolved drift of the parity history.
 */
import os from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { requireTable } from '../../index.js';
import { requireSchema } from '../../index.js';
import { parseKeyArgument, repairKeys, unresolvedDrift, type RepairResult } from '../../index.js';
import { commandContext, discover, parseList, withDatabase } from '../context.js';

const actor = () => `${os.userInfo().username}@${os.hostname()} (cli)`;
const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  program
    .command('repair')
    .description('Re-emit drifted keys as outbox events so the relay heals Convex (default: unresolved drift from the parity history)')
    .option('--tables <list>', 'comma-separated tables', parseList)
    .option('--keys <list>', 'comma-separated keys of one table (one-column keys)', parseList)
    .option('--key <key>', 'a key of one table, repeatable (a composite key as a JSON array of texts)', collect)
    .action(async (flags: { tables?: string[]; keys?: string[]; key?: string[] }) => {
      const given = [...(flags.keys ?? []), ...(flags.key ?? [])];
      if (given.length > 0 && flags.tables?.length !== 1) throw new InvalidArgumentError('--keys/--key need exactly one table in --tables');
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
        const done: RepairResult[] = [];
        for (const w of work) done.push(await repairKeys(db.pool, ctx.tool, requireTable(mirror, w.table), w.keys, actor()));
        return done;
      });
      if (results.length === 0) process.stdout.write('nothing to repair (no unresolved drift in the parity history; run `tandem parity`)\n');
      for (const r of results)
        process.stdout.write(`${r.table}: ${r.upserts} row(s) re-emitted, ${r.deletes} delete(s) (${r.operationKey}); the relay applies them\n`);
    });
}
