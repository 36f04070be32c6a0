/**
 * The local stand-in as the official `convex` package's ConvexHttpClient sees
 * it, and only through that client (plus one raw request, to check the
 * status codes the client hides): query, mutation, action, admin auth, a
 * missing function, an argument validation error, and a ConvexError with
 * data, on an ad-hoc Convex folder (not the story site's).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConvexHttpClient } from 'convex/browser';
import { makeFunctionReference } from 'convex/server';
import { ConvexError, type Value } from 'convex/values';
import { createLocalConvex, type LocalConvex } from '../../src/convexLocal/server.js';
import { silentLogger } from '../../src/log.js';

const SCHEMA = `import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
export default defineSchema({ notes: defineTable({ text: v.string(), n: v.number() }).index('by_n', ['n']) });
`;
const FUNCTIONS = `import { actionGeneric, mutationGeneric, queryGeneric, makeFunctionReference } from 'convex/server';
import { ConvexError, v } from 'convex/values';
export const add = mutationGeneric({
  args: { text: v.string(), n: v.number() },
  handler: async (ctx, args) => ctx.db.insert('notes', args),
});
export const byN = queryGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }) => ctx.db.query('notes').withIndex('by_n', (q) => q.eq('n', n)).collect(),
});
export const refuse = mutationGeneric({
  args: {},
  handler: async () => { throw new ConvexError({ kind: 'refused', code: 7n, tags: ['a', 'b'] }); },
});
export const count = actionGeneric({
  args: { n: v.number() },
  handler: async (ctx, { n }) => (await ctx.runQuery(makeFunctionReference('fidelity:byN'), { n })).length,
});
`;

interface AdminClient extends ConvexHttpClient {
  setAdminAuth(token: string): void;
}

const add = makeFunctionReference<'mutation', { text: string; n: number }, string>('fidelity:add');
const byN = makeFunctionReference<
  'query',
  { n: number },
  Array<{ _id: string; text: string; n: number }>
>('fidelity:byN');
const refuse = makeFunctionReference<'mutation', Record<string, never>, null>('fidelity:refuse');
const count = makeFunctionReference<'action', { n: number }, number>('fidelity:count');

let server: LocalConvex;
let url: string;
const adminKey = 'tandem-local|fidelity-test-key';

function client(key = adminKey): AdminClient {
  const c = new ConvexHttpClient(url, {
    skipConvexDeploymentUrlCheck: true,
    logger: false,
  }) as AdminClient;
  c.setAdminAuth(key);
  return c;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  const convexDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-fidelity-convex-'));
  fs.writeFileSync(path.join(convexDir, 'schema.ts'), SCHEMA);
  fs.writeFileSync(path.join(convexDir, 'fidelity.ts'), FUNCTIONS);
  server = await createLocalConvex({
    convexDir,
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-fidelity-data-')),
    adminKey,
    logger: silentLogger,
  });
  url = await server.listen(0, '127.0.0.1');
});
afterAll(async () => server?.close());

describe('the local stand-in through the official ConvexHttpClient', () => {
  it('runs a mutation, a query and an action with admin auth', async () => {
    const c = client();
    const id = await c.mutation(add, { text: 'one', n: 4 });
    expect(typeof id).toBe('string');
    await c.mutation(add, { text: 'two', n: 4 });
    await c.mutation(add, { text: 'three', n: 5 });
    const four = await c.query(byN, { n: 4 });
    expect(four.map((d) => [d._id === id, d.text, d.n])).toEqual([
      [true, 'one', 4],
      [false, 'two', 4],
    ]);
    expect(await c.action(count, { n: 4 })).toBe(2);
  });

  it('gives a thrown ConvexError to the client as a ConvexError with its data', async () => {
    const err = await rejection(client().mutation(refuse, {}));
    expect(err).toBeInstanceOf(ConvexError);
    expect((err as ConvexError<Value>).data).toEqual({
      kind: 'refused',
      code: 7n,
      tags: ['a', 'b'],
    });
  });

  it('answers a missing function with the deployment message, as a plain Error', async () => {
    const missing = makeFunctionReference<'query'>('fidelity:nope');
    const err = await rejection(client().query(missing, {}));
    expect(err).not.toBeInstanceOf(ConvexError);
    expect(err.message).toBe(
      "Could not find public function for 'fidelity:nope'. Did you forget to run `npx convex dev` or `npx convex deploy`?",
    );
    const noModule = await rejection(
      client().query(makeFunctionReference<'query'>('nomodule:x'), {}),
    );
    expect(noModule.message).toMatch(/^Could not find public function for 'nomodule:x'\./);
  });

  it('refuses arguments that fail validation without running the function', async () => {
    const err = await rejection(client().mutation(add, { text: 'bad' } as never));
    expect(err).not.toBeInstanceOf(ConvexError);
    expect(err.message).toContain('Missing required field `n`');
    expect(await client().query(byN, { n: 4 })).toHaveLength(2);
  });

  it('refuses a wrong admin key', async () => {
    const err = await rejection(client('tandem-local|wrong').query(byN, { n: 4 }));
    expect(err.message).toContain('admin key required');
  });

  it('uses the status codes the client expects: 200 for a result, 560 for a failed function', async () => {
    const post = (fn: string, args: unknown) =>
      fetch(`${url}/api/query`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Convex ${adminKey}` },
        body: JSON.stringify({ path: fn, args: [args], format: 'convex_encoded_json' }),
      });
    const ok = await post('fidelity:byN', { n: 5 });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { status: string }).status).toBe('success');
    const failed = await post('fidelity:nope', {});
    expect(failed.status).toBe(560);
    expect(await failed.json()).toEqual({
      status: 'error',
      errorMessage:
        "Could not find public function for 'fidelity:nope'. Did you forget to run `npx convex dev` or `npx convex deploy`?",
      logLines: [],
    });
  });
});
