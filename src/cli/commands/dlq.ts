/** `tandem dlq list|retry <id>|retry --all|discard <id>`: the dead-letter table. */
import type { Command } from 'commander';
import type pg from 'pg';
import type { ToolSchema } from '../../index.js';
import {
  InvalidInputError,
  requireSchema,
  discardDeadLetter,
  listDeadLetters,
  retryDeadLetters,
} from '../../index.js';
import { commandContext, withDatabase, cliActor } from '../context.js';
import { deadLetterId } from '../optionParsers.js';

const actor = cliActor;

type Discard = (pool: pg.Pool, tool: ToolSchema, id: number, actor: string, reason?: string) => Promise<unknown>;

/** `discard <id> [--reason]` under a dead-letter command (the relay's or reverse sync's), audited by `discard`. */
export function registerDiscard(parent: Command, discard: Discard, what: string): void {
  parent
    .command('discard <id>')
    .description('mark a dead letter as not to be applied (recorded in the audit log)')
    .option('--reason <text>', 'why')
    .action(async (id: string, flags: { reason?: string }) => {
      const deadLetter = deadLetterId(id);
      const ctx = await commandContext();
      await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        await discard(db.pool, ctx.tool, deadLetter, actor(), flags.reason);
      });
      process.stdout.write(`discarded ${what} ${id}\n`);
    });
}

export function register(program: Command): void {
  const dlq = program.command('dlq').description('List, retry and discard dead letters');

  dlq
    .command('list')
    .description('unresolved dead letters (with --all, resolved ones too)')
    .option('--all', 'include retried and discarded ones')
    .option('--table <table>', 'only this table')
    .option('--json', 'print JSON')
    .action(async (flags: { all?: boolean; table?: string; json?: boolean }) => {
      const ctx = await commandContext();
      const rows = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return listDeadLetters(db.pool, ctx.tool, { includeResolved: flags.all, table: flags.table });
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) {
        process.stdout.write('no dead letters\n');
        return;
      }
      for (const r of rows) {
        const where = [r.rule && `rule ${r.rule}`, r.column && `column ${r.column}`].filter(Boolean).join(', ');
        process.stdout.write(
          `${r.id}\t${r.table}\t${r.key}\tv${r.seq}\t${r.op}\t${r.attempts} attempts\t${r.resolution ?? 'unresolved'}\t${r.reason}${where ? ` (${where})` : ''}\n`,
        );
      }
    });

  dlq
    .command('retry [id]')
    .description('put a dead letter (or, with --all, every unresolved one) back into the outbox')
    .option('--all', 'retry every unresolved dead letter')
    .action(async (id: string | undefined, flags: { all?: boolean }) => {
      if ((id === undefined) === !flags.all) throw new InvalidInputError('id', 'give one id, or --all');
      const ids = flags.all ? 'all' : [deadLetterId(id!)];
      const ctx = await commandContext();
      const retried = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return retryDeadLetters(db.pool, ctx.tool, ids, actor());
      });
      process.stdout.write(`retried ${retried.length} dead letter(s)${retried.length ? `: ${retried.join(', ')}` : ''}\n`);
    });

  registerDiscard(dlq, discardDeadLetter, 'dead letter');
}
