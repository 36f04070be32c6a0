/**
 * The application seam of the commands that run an application (`sample`,
 * `serve`, `dev`, `demo`): the project config's `app` names a plug-in module,
 * loaded at run time by the compiled CLI (no TypeScript loader), here a small
 * shop unlike the story site, written as plain .mjs importing the public API.
 * Without a plug-in, or with one lacking what the command needs, the command
 * is refused with exit 2 naming the config key and the part, before anything
 * is written.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/tandem.js');
const backends = await availableBackends();

/** A shop: one table, a sample of 10 products per unit of scale, and one route listing them. */
const SHOP_PLUGIN = `import { addRoute, ConflictError } from 'tandem';
const schema = 'CREATE TABLE IF NOT EXISTS product (sku text PRIMARY KEY, price numeric(10,2) NOT NULL)';
export default {
  name: 'shop',
  createSchema: (db) => db.query(schema),
  sample: {
    defaultSeed: 4,
    plannedCounts: (scale) => ({ product: Math.round(10 * scale) }),
    async generate(db, { scale, seed, force, onProgress }) {
      await db.query(schema);
      const { rows } = await db.query('SELECT count(*)::int AS n FROM product');
      if (rows[0].n > 0 && !force) throw new ConflictError('product already holds rows');
      if (force) await db.query('DELETE FROM product');
      const n = Math.round(10 * scale);
      await db.query(
        "INSERT INTO product SELECT 'sku-' || $2::int || '-' || g, g * $2::int FROM generate_series(1, $1::int) g",
        [n, seed],
      );
      onProgress?.({ table: 'product', inserted: n, planned: n });
      return { product: n };
    },
  },
  http: ({ pool }) => ({
    entry: '/shop/products',
    routes(scope) {
      addRoute(scope, {
        method: 'GET', url: '/shop/products', access: 'anonymous', tag: 'shop', summary: 'Products',
        response: { type: 'array' },
        handler: async () => (await pool.query('SELECT sku, price FROM product ORDER BY sku')).rows,
      });
    },
  }),
};
`;

function writeProject(dir: string, config: unknown, files: Record<string, string> = {}): string {
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  const file = path.join(dir, 'tandem.config.json');
  fs.writeFileSync(file, JSON.stringify(config));
  return file;
}

async function refused(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return run(process.execPath, [cli, ...args], { cwd, env }).then(
    (ok) => ({ code: 0, stderr: ok.stderr }),
    (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
  );
}

describe('commands that run an application, without the plug-in they need', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-app-refused-'));
  // No database is reachable here: a refusal must come before any connection.
  const env = { ...process.env, TANDEM_CONFIG: '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TANDEM_HOME: path.join(dir, '.tandem') };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('with no config file: sample, dev --sample and demo name the `app` key', async () => {
    for (const command of [['sample'], ['dev', '--sample', '0.1'], ['demo', '--exit']]) {
      const { code, stderr } = await refused(command, dir, { ...env, DATABASE_URL: command[0] === 'dev' ? '' : env.DATABASE_URL });
      expect({ command, code, stderr }).toEqual({
        command,
        code: 2,
        stderr: `tandem: no config file: app: \`tandem ${command[0] === 'dev' ? 'dev --sample' : command[0]}\` runs an application: name its plug-in module in the project config's "app" key (examples/story-site/tandem.config.json does; see docs/configuration.md)\n`,
      });
    }
  });

  it('with a plug-in lacking a part: names the plug-in and each missing part', async () => {
    const file = writeProject(dir, { app: './bare.mjs' }, { 'bare.mjs': "export default { name: 'bare' };\n" });
    const demo = await refused(['demo', '--exit'], dir, env);
    expect(demo).toEqual({
      code: 2,
      stderr: `tandem: ${file}: app: the application plug-in "bare" has no sample generator (sample), HTTP API (http), demo traffic (demoTraffic), which \`tandem demo\` needs\n`,
    });
    const sample = await refused(['sample'], dir, env);
    expect(sample.code).toBe(2);
    expect(sample.stderr).toContain('"bare" has no sample generator (sample), which `tandem sample` needs');
  });

  it('with a module that is missing or not a plug-in: names the key and the module', async () => {
    const file = writeProject(dir, { app: './nope.mjs' });
    expect(await refused(['sample'], dir, env)).toEqual({
      code: 2,
      stderr: `tandem: ${file}: app: module ${path.join(dir, 'nope.mjs')} not found\n`,
    });
    writeProject(dir, { app: './nameless.mjs' }, { 'nameless.mjs': 'export default { sample: {} };\n' });
    expect(await refused(['sample'], dir, env)).toEqual({
      code: 2,
      stderr: `tandem: ${file}: app (${path.join(dir, 'nameless.mjs')}): the plug-in has no name\n`,
    });
    writeProject(dir, { app: './paths.mjs' }, {
      'paths.mjs': "export default { name: 'paths', writeCutover: { prepare: async () => {}, writePaths: 'story' } };\n",
    });
    expect(await refused(['sample'], dir, env)).toEqual({
      code: 2,
      stderr: `tandem: ${file}: app (${path.join(dir, 'paths.mjs')}): writeCutover.writePaths must be a list of { name, tables, source }\n`,
    });
    // A plug-in importing a package the project lacks (here `tandem` itself: nothing is installed in this folder).
    writeProject(dir, { app: './shop.mjs' }, { 'shop.mjs': SHOP_PLUGIN });
    const unresolved = await refused(['sample'], dir, env);
    expect(unresolved.code).toBe(2);
    const expected = `tandem: ${file}: app (${path.join(dir, 'shop.mjs')}): cannot be loaded: Cannot find package 'tandem' imported from `;
    expect(unresolved.stderr.slice(0, expected.length)).toBe(expected);
  });
});

describe.each(backends)('a second application (a shop) through its plug-in [%s]', (backend) => {
  let db: TestDatabase;
  let dir: string;
  let server: ChildProcess | undefined;
  const env = () => ({
    ...process.env,
    DATABASE_URL: db.url,
    TANDEM_HOME: path.join(dir, '.tandem'),
    TANDEM_LOG_LEVEL: 'silent',
    TANDEM_CONFIG: '',
  });

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-shop-app-'));
    // The shop has Tandem installed, as an application would: node_modules/tandem is this package.
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(root, path.join(dir, 'node_modules', 'tandem'), 'dir');
    writeProject(dir, { app: './shop.mjs' }, { 'shop.mjs': SHOP_PLUGIN });
  });
  afterEach(() => {
    server?.kill('SIGTERM');
    server = undefined;
  });
  afterAll(async () => {
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('`tandem sample` creates and fills its table with its seed; again is refused, --force refills', async () => {
    const { stdout } = await run(process.execPath, [cli, 'sample', '--scale', '2'], { cwd: dir, env: env() });
    expect(stdout).toBe('product         20\n');
    const { rows } = await db.pool.query<{ n: number; total: string }>(
      'SELECT count(*)::int AS n, sum(price)::text AS total FROM product',
    );
    // Seed 4 (the plug-in's default): prices 4, 8, …, 80.
    expect(rows[0]).toEqual({ n: 20, total: '840.00' });
    const again = await refused(['sample', '--scale', '2'], dir, env());
    expect(again).toEqual({ code: 2, stderr: 'tandem: product already holds rows\n' });
    await run(process.execPath, [cli, 'sample', '--scale', '0.5', '--seed', '3', '--force'], { cwd: dir, env: env() });
    expect((await db.pool.query('SELECT sku, price::text FROM product ORDER BY sku')).rows).toEqual(
      [1, 2, 3, 4, 5].map((g) => ({ sku: `sku-3-${g}`, price: `${g * 3}.00` })),
    );
  });

  it('`tandem serve` serves its route beside the control room API and the OpenAPI document', async () => {
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0'], { cwd: dir, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    server = child;
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /tandem: shop API on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${out}`)));
    });
    const products = (await (await fetch(`${url}/shop/products`)).json()) as Array<{ sku: string }>;
    expect(products.map((p) => p.sku)).toEqual(['sku-3-1', 'sku-3-2', 'sku-3-3', 'sku-3-4', 'sku-3-5']);
    const openapi = (await (await fetch(`${url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/shop/products', '/healthz', '/readyz']));
    expect((await fetch(`${url}/api/courses`)).status).toBe(404);
  });
});
