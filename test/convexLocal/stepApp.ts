/**
 * An app unlike the story site for the stand-in's persistence tests: each
 * `steps:step` call by a driver inserts a few items, moves the driver's
 * counter on by exactly one (throwing if a step is skipped or repeated),
 * patches the previous step's first item and deletes the first item of the
 * step before that, so one mutation inserts, patches, replaces and deletes.
 * After any crash, the state is exactly determined by each driver's counter.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { convexToJson, jsonToConvex, type Value } from 'convex/values';
import { expect } from 'vitest';
import type { CompactionOptions } from '../../src/convexLocal/persistence.js';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { silentLogger } from '../../src/log.js';

export const ITEMS_PER_STEP = 4;

const SCHEMA = `import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';

export default defineSchema({
  items: defineTable({ driver: v.string(), step: v.number(), i: v.number(), payload: v.string(), seen: v.optional(v.boolean()), big: v.optional(v.int64()) })
    .index('by_driver', ['driver', 'step', 'i']),
  counters: defineTable({ driver: v.string(), count: v.number() }).index('by_driver', ['driver']),
});
`;

const STEPS = `import { mutationGeneric as mutation, queryGeneric as query } from 'convex/server';
import { v } from 'convex/values';

export const step = mutation({
  args: { driver: v.string(), step: v.number(), payloadBytes: v.number() },
  handler: async (ctx, { driver, step, payloadBytes }) => {
    const counter = await ctx.db.query('counters').withIndex('by_driver', (q) => q.eq('driver', driver)).unique();
    const count = counter?.count ?? 0;
    if (step !== count + 1) throw new Error('step ' + step + ' after ' + count);
    for (let i = 0; i < ${ITEMS_PER_STEP}; i++) {
      await ctx.db.insert('items', { driver, step, i, payload: 'x'.repeat(payloadBytes), big: BigInt(step) * 1000000000000n });
    }
    if (counter) await ctx.db.replace(counter._id, { driver, count: step });
    else await ctx.db.insert('counters', { driver, count: step });
    const first = (s) => ctx.db.query('items').withIndex('by_driver', (q) => q.eq('driver', driver).eq('step', s).eq('i', 0)).unique();
    const previous = await first(step - 1);
    if (previous) await ctx.db.patch(previous._id, { seen: true });
    const older = await first(step - 2);
    if (older) await ctx.db.delete(older._id);
    return step;
  },
});

export const state = query({
  args: { driver: v.string() },
  handler: async (ctx, { driver }) => {
    const counter = await ctx.db.query('counters').withIndex('by_driver', (q) => q.eq('driver', driver)).unique();
    const items = await ctx.db.query('items').withIndex('by_driver', (q) => q.eq('driver', driver)).collect();
    return { count: counter?.count ?? 0, items: items.map((d) => [d.step, d.i, d.seen ?? false, d.big, d.payload.length]) };
  },
});

export const all = query({
  args: {},
  handler: async (ctx) => ({
    items: await ctx.db.query('items').collect(),
    counters: await ctx.db.query('counters').collect(),
  }),
});
`;

/** A fresh Convex folder holding the app. */
export function makeStepAppDir(): string {
  const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-stepapp-')), 'convex');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'schema.ts'), SCHEMA);
  fs.writeFileSync(path.join(dir, 'steps.ts'), STEPS);
  return dir;
}

type ItemTuple = [step: number, i: number, seen: boolean, big: bigint, payloadLength: number];

/** Exactly what a driver's items are after `count` steps (in index order). */
export function expectedItems(count: number, payloadBytes: number): ItemTuple[] {
  const items: ItemTuple[] = [];
  for (let step = 1; step <= count; step++) {
    for (let i = 0; i < ITEMS_PER_STEP; i++) {
      if (i === 0 && step <= count - 2) continue;
      items.push([step, i, i === 0 && step === count - 1, BigInt(step) * 1_000_000_000_000n, payloadBytes]);
    }
  }
  return items;
}

export function expectDriverState(
  driver: string,
  state: { count: number; items: ItemTuple[] },
  acknowledged: number,
  payloadBytes: number,
): void {
  // The call in flight at the kill was never answered: it is wholly there or wholly absent.
  expect([acknowledged, acknowledged + 1], `${driver} count`).toContain(state.count);
  expect(state.items, `${driver} items`).toEqual(expectedItems(state.count, payloadBytes));
}

export const ADMIN_KEY = 'tandem-local|persistence-test-key';

/** One call over the stand-in's HTTP API, as the official client makes it; the decoded value, or throws. */
export async function callStandIn(
  url: string,
  kind: 'query' | 'mutation',
  fn: string,
  args: Record<string, unknown>,
): Promise<unknown> {
  const response = await fetch(`${url}/api/${kind}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Convex ${ADMIN_KEY}` },
    body: JSON.stringify({ path: fn, args: convexToJson(args as Value), format: 'json' }),
  });
  const body = (await response.json()) as { status?: string; value?: unknown; errorMessage?: string; message?: string };
  if (body.status !== 'success') throw new Error(`${response.status}: ${body.errorMessage ?? body.message}`);
  return jsonToConvex(body.value as never);
}

/** In-process stand-ins serving the step app, each closed by `closeAll` (an afterEach) if a test did not. */
export function stepAppStandIns() {
  let convexDir: string | undefined;
  const open: LocalConvex[] = [];
  return {
    async start(dataDir: string, compaction?: Partial<CompactionOptions>) {
      convexDir ??= makeStepAppDir();
      const server = await createLocalConvex({ convexDir, dataDir, adminKey: ADMIN_KEY, logger: silentLogger, compaction });
      open.push(server);
      return { server, url: await server.listen(0, '127.0.0.1') };
    },
    /** The same start, for a data dir it must refuse: the error. */
    async refusal(dataDir: string): Promise<unknown> {
      convexDir ??= makeStepAppDir();
      const server = await createLocalConvex({ convexDir, dataDir, adminKey: ADMIN_KEY, logger: silentLogger }).catch((err: unknown) => err);
      if (server instanceof Error) return server;
      open.push(server as LocalConvex);
      return undefined;
    },
    async stop(server: LocalConvex) {
      open.splice(open.indexOf(server), 1);
      await server.close();
    },
    async closeAll() {
      for (const server of open.splice(0)) await server.close();
    },
  };
}
