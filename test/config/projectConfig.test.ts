/**
 * The project config loader: where the file is found, the three formats, and
 * errors that name the file and the key (never a setting silently ignored).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadInvariantSuites } from '../../src/config/invariantSuites.js';
import { findConfigFile, importModule, loadProjectConfig } from '../../src/config/loadProjectConfig.js';
import { DEFAULT_PROJECT_CONFIG, parseProjectConfig } from '../../src/config/projectConfig.js';
import { ConfigError, NotFoundError } from '../../src/core/errors.js';
import { DEFAULT_ALERT_POLICY } from '../../src/alerts/rules.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-config-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const write = (name: string, text: string): string => {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
};
const load = (options: { file?: string; env?: NodeJS.ProcessEnv } = {}) =>
  loadProjectConfig({ cwd: dir, env: {}, ...options });

describe('project config', () => {
  it('defaults with no file: schema public, tool schema tandem, nothing excluded', async () => {
    expect(await load()).toEqual(DEFAULT_PROJECT_CONFIG);
    expect(DEFAULT_PROJECT_CONFIG).toEqual({
      file: null,
      schema: 'public',
      toolSchema: 'tandem',
      include: null,
      exclude: [],
      legacyTables: [],
      heavy: {},
      keys: {},
      invariants: [],
      app: null,
      convex: { urlVariable: 'CONVEX_URL', keyVariable: 'CONVEX_DEPLOY_KEY', dir: 'convex' },
      mirror: { waitMs: undefined },
      cutover: { rollback: { default: {}, tables: {}, windowSeconds: 60 }, shadow: { sampleRates: {} } },
      alerts: DEFAULT_ALERT_POLICY,
    });
  });

  it('reads tandem.config.json from the working directory, resolving module paths beside it', async () => {
    const file = write(
      'tandem.config.json',
      JSON.stringify({
        schema: 'app',
        exclude: ['audit_log'],
        heavy: { post: { columns: ['body'] } },
        keys: { event: ['source', 'seq'] },
        invariants: ['./checks/suite.mjs'],
        mirror: { waitMs: 0 },
      }),
    );
    const config = await load();
    expect(config).toMatchObject({
      file,
      schema: 'app',
      exclude: ['audit_log'],
      heavy: { post: { table: 'post_content', columns: ['body'] } },
      keys: { event: ['source', 'seq'] },
      invariants: [path.join(dir, 'checks/suite.mjs')],
      mirror: { waitMs: 0 },
    });
  });

  it('compiles a tandem.config.ts (relative imports included) with no TypeScript loader', async () => {
    write('tables.ts', "export const legacy: string[] = ['users'];\n");
    write(
      'tandem.config.ts',
      "import { legacy } from './tables';\nconst config: { legacyTables: string[] } = { legacyTables: legacy };\nexport default config;\n",
    );
    expect((await load()).legacyTables).toEqual(['users']);
    // The compiled module is removed again.
    expect(fs.readdirSync(dir).sort()).toEqual(['tables.ts', 'tandem.config.ts']);
  });

  it('leaves `tandem` an import of a compiled module, so its errors are the host\'s classes', async () => {
    // Inside the repository, where tsconfig's `paths` point `tandem` at the sources esbuild would bundle.
    const inRepo = fs.mkdtempSync(path.join(path.dirname(new URL(import.meta.url).pathname), '.tmp-plugin-'));
    try {
      const file = path.join(inRepo, 'plugin.ts');
      fs.writeFileSync(file, "import { NotFoundError } from 'tandem';\nexport default { NotFoundError };\n");
      expect(((await importModule(file)) as { NotFoundError: unknown }).NotFoundError).toBe(NotFoundError);
    } finally {
      fs.rmSync(inRepo, { recursive: true, force: true });
    }
  });

  it('reads a .mjs config, and one named by --config or TANDEM_CONFIG', async () => {
    const mjs = write('conf/tandem.config.mjs', "export default { schema: 'shop' };\n");
    expect((await load({ file: 'conf/tandem.config.mjs' })).schema).toBe('shop');
    expect((await load({ env: { TANDEM_CONFIG: mjs } })).file).toBe(mjs);
  });

  it('refuses an unknown key, naming the file and the key', async () => {
    const file = write('tandem.config.json', JSON.stringify({ exclude: [], tabels: ['x'] }));
    await expect(load()).rejects.toThrow(
      new ConfigError(`${file}: (root)`, 'unknown key "tabels" (not a setting)'),
    );
    write('tandem.config.json', JSON.stringify({ convex: { url: 'x' } }));
    await expect(load()).rejects.toThrow(
      new ConfigError(`${file}: convex`, 'unknown key "url" (not a setting of convex)'),
    );
  });

  it('refuses a wrong type or value, naming the key', async () => {
    const file = write('tandem.config.json', JSON.stringify({ heavy: { story: { columns: 'text' } } }));
    await expect(load()).rejects.toThrow(`${file}: heavy.story.columns: `);
    write('tandem.config.json', JSON.stringify({ schema: 7 }));
    await expect(load()).rejects.toThrow(
      new ConfigError(`${file}: schema`, 'Invalid input: expected string, received number'),
    );
    write('tandem.config.json', JSON.stringify({ include: ['Line Item'] }));
    await expect(load()).rejects.toThrow(
      new ConfigError(`${file}: include.0`, 'must be a lower-case identifier ([a-z_][a-z0-9_]*)'),
    );
    write('tandem.config.json', JSON.stringify({ mirror: { waitMs: -1 } }));
    await expect(load()).rejects.toThrow(`${file}: mirror.waitMs: `);
    write('tandem.config.json', '{ "schema": ');
    await expect(load()).rejects.toThrow(`${file}: not valid JSON`);
  });

  it('refuses contradictions between keys', () => {
    expect(() => parseProjectConfig({ include: ['a'], exclude: ['a'] }, 'c.json')).toThrow(
      new ConfigError('c.json: include', 'a is also listed in exclude'),
    );
    expect(() => parseProjectConfig({ legacyTables: ['u'], keys: { u: ['id'] } }, 'c.json')).toThrow(
      new ConfigError('c.json: keys.u', 'the table is excluded from the mirror'),
    );
    expect(() => parseProjectConfig({ schema: 'tandem' }, 'c.json')).toThrow(
      new ConfigError('c.json: toolSchema', 'must differ from the application schema "tandem"'),
    );
    expect(parseProjectConfig({ toolSchema: 'mirror_state' }, 'c.json').toolSchema).toBe('mirror_state');
    expect(() => parseProjectConfig({ schema: 'Mig-Tool "1"', toolSchema: 'Mig-Tool "1"' }, 'c.json')).toThrow(
      new ConfigError('c.json: toolSchema', 'must differ from the application schema "Mig-Tool "1""'),
    );
    expect(() => parseProjectConfig({ toolSchema: 'pg_mirror' }, 'c.json')).toThrow(
      new ConfigError('c.json: toolSchema', '"pg_mirror": names starting with pg_ are reserved by PostgreSQL'),
    );
  });

  it('takes any quotable application schema name, and tables it excludes by any name', () => {
    const config = parseProjectConfig({ schema: 'My App-"2"', exclude: ['Line Item'] }, 'c.json');
    expect([config.schema, config.exclude]).toEqual(['My App-"2"', ['Line Item']]);
    // The guard reads legacy names as SQL (unquoted folds to lower case): they stay plain.
    expect(() => parseProjectConfig({ legacyTables: ['Old Users'] }, 'c.json')).toThrow(
      new ConfigError('c.json: legacyTables.0', 'must be a lower-case identifier ([a-z_][a-z0-9_]*)'),
    );
    // A `$` is fine here: the application schema never appears inside a PL/pgSQL body.
    expect(parseProjectConfig({ schema: 'a$b' }, 'c.json').schema).toBe('a$b');
    for (const [schema, message] of [
      ['', 'must not be empty'],
      ['x'.repeat(64), `"${'x'.repeat(64)}" is longer than Postgres's 63-byte identifier limit`],
      ['a\nb', 'must not contain control characters'],
      ['pg_app', '"pg_app": names starting with pg_ are reserved by PostgreSQL'],
    ] as const) {
      expect(() => parseProjectConfig({ schema }, 'c.json'), schema).toThrow(new ConfigError('c.json: schema', message));
    }
    expect(() => parseProjectConfig({ exclude: [''] }, 'c.json')).toThrow(
      new ConfigError('c.json: exclude.0', 'must not be empty'),
    );
  });

  it('refuses two config files, a missing --config and a module without a default export', async () => {
    write('tandem.config.json', '{}');
    write('tandem.config.mjs', 'export default {};\n');
    expect(() => findConfigFile({ cwd: dir, env: {} })).toThrow(
      'tandem.config.mjs, tandem.config.json: more than one config file',
    );
    await expect(load({ file: 'nope.json' })).rejects.toThrow('nope.json: config file not found');
    const named = write('other.mjs', 'export const x = 1;\n');
    await expect(load({ file: named })).rejects.toThrow(`${named}: has no default export`);
  });

  it('loads invariant suites from module paths and refuses a module that is not one', async () => {
    write(
      'suite.mjs',
      "export default { name: 'shop', invariants: [], checkPostgres: async () => [], checkConvex: async () => [] };\n",
    );
    write('notsuite.mjs', "export default { name: 'x' };\n");
    write('tandem.config.json', JSON.stringify({ invariants: ['./suite.mjs'] }));
    const suites = await loadInvariantSuites(await load());
    expect(suites.map((s) => s.name)).toEqual(['shop']);
    const file = write('tandem.config.json', JSON.stringify({ invariants: ['./notsuite.mjs'] }));
    await expect(loadInvariantSuites(await load())).rejects.toThrow(
      `${file}: invariants.0 (${path.join(dir, 'notsuite.mjs')}): the default export is not an invariant suite (missing invariants, checkPostgres, checkConvex)`,
    );
  });
});
