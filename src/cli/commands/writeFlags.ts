/**
 * `tandem flags … --writes`: the write stage of each write group
 * (docs/write-cutover.md). A move towards Convex is refused, naming every
 * reason, unless forced (audited with the reasons it overrode). A move to
 * `convex` holds the group and waits for the relay to deliver its outbox
 * before it switches; a rollback drains reverse sync before it switches.
 */
import { Option } from 'commander';
import {
  changeLogSource,
  checklistGates,
  cutoverWriteStage,
  drainReverseSync,
  InvalidInputError,
  openConvexTarget,
  readWriteGroups,
  readWriteStageHistory,
  relayOutboxDrain,
  requireSchema,
  rollbackWriteStage,
  setWriteStage,
  writePathsFromInventory,
  type Database,
  type WriteDrain,
  type WritePath,
} from '../../index.js';
import {
  commandContext,
  discover,
  phaseSources,
  withDatabase,
  type CommandContext,
  cliActor,
} from '../context.js';

const actor = cliActor;
const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};

/** `--writes` on `flags set` takes the stage as its value. */
export function writesOption(value: string, description: string): Option {
  return new Option(`--writes ${value}`, description);
}

/**
 * The rollback's drain: reverse sync applies every change the group's tables
 * logged in Convex to Postgres before the writer switches back, so no write
 * made on Convex is lost (docs/reverse-sync.md). The Convex deployment is the
 * configured one; a rollback from `convex-shadow` never calls it.
 */
function reverseSyncDrain(ctx: CommandContext, db: Database): WriteDrain {
  return {
    async drain(group, deadlineMs) {
      const stored = (await readWriteGroups(db.pool, ctx.tool)).find((g) => g.name === group);
      if (!stored) throw new InvalidInputError('group', `${group} is not a saved write group`);
      const source = changeLogSource(openConvexTarget(ctx.config));
      const config = (await discover(ctx, db)).mirror;
      return drainReverseSync(
        { tool: ctx.tool, pool: db.pool, source, config, log: ctx.log },
        stored.tables,
        deadlineMs,
      );
    },
  };
}

/** How long routers take to see a pause: two polls of WriteFlags (250 ms each) and a margin. */
const SETTLE_MS = 600;

async function inventoryPaths(src: string[] | undefined): Promise<WritePath[]> {
  if (!src) return [];
  const { buildInventory } = await import('../../scan.js');
  return writePathsFromInventory(await buildInventory(src));
}

export function registerWriteFlags() {
  return {
    async list(opts: { json?: boolean }) {
      const ctx = await commandContext();
      const groups = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return readWriteGroups(db.pool, ctx.tool);
      });
      const rows = groups.map((g) => ({
        group: g.name,
        tables: g.tables,
        stage: g.stage,
        paused: g.pausedAt !== null,
      }));
      if (opts.json) return print(JSON.stringify(rows, null, 2));
      if (rows.length === 0)
        return print('no write groups saved: run tandem plan --save-groups --why "…"');
      for (const r of rows)
        print(`${r.group}\t${r.stage}${r.paused ? ' (paused)' : ''}\t${r.tables.join(', ')}`);
    },

    async set(
      group: string,
      extra: string | undefined,
      opts: {
        writes?: string;
        why?: string;
        reason?: string;
        force?: boolean;
        percent?: string;
        src?: string[];
        deadlineMs?: number;
      },
    ) {
      if (extra !== undefined)
        throw new InvalidInputError(
          'stage',
          `give the write stage once, as --writes <stage> (got also ${JSON.stringify(extra)})`,
        );
      if (opts.percent !== undefined)
        throw new InvalidInputError('percent', 'write stages take no percentage');
      const ctx = await commandContext();
      const writePaths = await inventoryPaths(opts.src);
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const { mirror } = await discover(ctx, db);
        const request = {
          group,
          why: opts.why ?? opts.reason ?? '',
          actor: actor(),
          force: opts.force,
          gates: checklistGates(db.pool, ctx.tool, mirror, { sources: phaseSources(ctx, db.pool) }),
          writePaths,
        };
        if (opts.writes !== 'convex')
          return {
            ...(await setWriteStage(db.pool, ctx.tool, { ...request, stage: opts.writes! })),
            pauseMs: null,
          };
        // Convex becomes the writer: hold, let the running relay deliver the
        // group's outbox, raise Convex's version floor, switch (docs/write-cutover.md).
        return cutoverWriteStage(db.pool, ctx.tool, {
          ...request,
          outbox: relayOutboxDrain(db.pool, ctx.tool),
          // Opened when the floor is raised, so bad input is named before a missing Convex target.
          convex: {
            raiseVersionFloor: (floor) =>
              changeLogSource(openConvexTarget(ctx.config)).raiseVersionFloor(floor),
          },
          deadlineMs: opts.deadlineMs,
          settleMs: SETTLE_MS,
          log: ctx.log,
        });
      });
      const to = 'to' in result ? result.to : 'convex';
      const paused =
        result.pauseMs === null ? '' : ` (writes paused ${Math.round(result.pauseMs)} ms)`;
      print(
        `${result.group}: writes ${result.from} → ${to}${result.forced ? ' (forced)' : ''}${paused}`,
      );
      for (const r of result.overridden) print(`  overridden: ${r.message}`);
    },

    async rollback(
      group: string | undefined,
      opts: { why?: string; reason?: string; all?: boolean; deadlineMs: number },
    ) {
      if (group === undefined || opts.all)
        throw new InvalidInputError('group', 'give one write group (--all is for read stages)');
      const ctx = await commandContext();
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return rollbackWriteStage(db.pool, ctx.tool, {
          group,
          why: opts.why ?? opts.reason ?? '',
          actor: actor(),
          drain: reverseSyncDrain(ctx, db),
          deadlineMs: opts.deadlineMs,
          settleMs: SETTLE_MS,
          log: ctx.log,
        });
      });
      if (!result.changed) return print(`${group} already writes to postgres`);
      print(
        `${group}: writes ${result.from} → postgres (writes paused ${Math.round(result.pauseMs)} ms)`,
      );
    },

    async history(group: string | undefined, opts: { json?: boolean }) {
      const ctx = await commandContext();
      const entries = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        return readWriteStageHistory(db.pool, ctx.tool, group);
      });
      if (opts.json) return print(JSON.stringify(entries, null, 2));
      if (entries.length === 0) return print('no write stage changes');
      for (const e of entries) {
        const what = e.action === 'groups-saved' ? 'groups saved' : `${e.from} → ${e.to}`;
        const how = [
          e.forced && `forced over: ${(e.refusals ?? []).map((r) => r.reason).join(', ')}`,
          e.pauseMs !== null && e.action === 'rollback' && `paused ${Math.round(e.pauseMs)} ms`,
        ]
          .filter(Boolean)
          .join('; ');
        print(`${e.at}\t${e.group}\t${what}\t${e.actor}\t${e.why}${how ? ` (${how})` : ''}`);
      }
    },
  };
}
