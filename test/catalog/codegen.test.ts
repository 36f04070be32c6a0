/**
 * `tandem codegen`: the live catalog of the story site gives exactly the
 * committed mirror configuration and Convex files (CI fails when they are
 * stale), the generated schema accepts every sample row, and the same holds on
 * a database built by someone else's DDL.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import schema from '../../examples/story-site/convex/schema.js';
import { generateSample } from '../../examples/story-site/src/app/sample/generateSample.js';
import { APP_TABLES } from '../../examples/story-site/src/app/schema.js';
import { ConfigError } from '../../src/core/errors.js';
import { renderCatalogFiles } from '../../src/convex/codegen/catalogCodegen.js';
import { mirrorConfigFromCatalog } from '../../src/convex/codegen/mirrorConfigFromCatalog.js';
import { staleFiles } from '../../src/convex/codegen/writeFiles.js';
import { KEY_FIELD, mapRow, splitHeavy, VERSION_FIELD, type MirrorConfig, type TableConfig } from '../../src/mapping/index.js';
import { STORY_SITE_TABLES } from '../support/storySiteMirror.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { STORY_SITE_CONFIG } from '../support/storySiteMirror.js';
import { readCatalog, type Catalog } from '../../src/postgres/catalog/index.js';
import type { Queryable } from '../../src/postgres/database.js';
import { buildPlan } from '../../src/plan/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { convexValidationError } from './convexValidate.js';
import { FOREIGN_DDL, copySampleIntoForeignSchema } from './foreignDdl.js';

const backends = await availableBackends();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const convexDir = path.join(root, 'examples/story-site/convex');
const run = promisify(execFile);

type Validators = Record<string, { validator: Parameters<typeof convexValidationError>[0] }>;
const tables = schema.tables as unknown as Validators;

/** Maps every row of every mirrored table and checks both documents against convex/schema.ts (Tandem's fragment spread). */
async function validateAllRows(
  db: Queryable,
  config: MirrorConfig,
  pgSchema: string,
): Promise<Record<string, number>> {
  const checked: Record<string, number> = {};
  for (const table of config.tables) {
    const { rows } = await db.query<Record<string, unknown>>(
      `SELECT * FROM ${pgSchema}.${table.name}`,
    );
    for (const row of rows) {
      const mapped = mapRow(table, row, config);
      const { doc, content } = splitHeavy(table, mapped.columns);
      const system = { [KEY_FIELD]: mapped.key, [VERSION_FIELD]: 1 };
      expect(
        convexValidationError(tables[table.name]!.validator, { ...doc, ...system }),
        `${table.name} ${mapped.key}`,
      ).toBeNull();
      if (content)
        expect(
          convexValidationError(tables[table.heavy!.table]!.validator, { ...content, ...system }),
        ).toBeNull();
    }
    checked[table.name] = rows.length;
  }
  return checked;
}

/** The config with each table's columns and keys in the sample's order (a foreign DDL orders them its own way). */
function inSampleOrder(catalog: Catalog): Catalog {
  const position = (table: string, column: string) =>
    STORY_SITE_TABLES.tables
      .find((t) => t.name === table)
      ?.columns.findIndex((c) => c.name === column) ?? 0;
  return {
    ...catalog,
    tables: catalog.tables.map((t) => ({
      ...t,
      columns: [...t.columns].sort((a, b) => position(t.name, a.name) - position(t.name, b.name)),
      foreignKeys: [...t.foreignKeys].sort(
        (a, b) => position(t.name, a.columns[0]!) - position(t.name, b.columns[0]!),
      ),
    })),
  };
}

describe('the Convex validator check used below', () => {
  it('rejects what Convex would reject', () => {
    const language = tables.language!.validator;
    const doc = {
      id: 1,
      name: 'x',
      short: 'x',
      flag: null,
      flag_file: null,
      speaker: null,
      default_text: null,
      tts_replace: null,
      public: true,
      rtl: false,
      pgKey: '1',
      pgVersion: 1,
    };
    expect(convexValidationError(language, doc)).toBeNull();
    expect(convexValidationError(language, { ...doc, flag: '1' })).toMatch(
      /^\$\.flag: no member matched/,
    );
    expect(convexValidationError(language, { ...doc, extra: 1 })).toBe(
      '$.extra: field not in the schema',
    );
    const { pgKey: _omit, ...withoutKey } = doc;
    expect(convexValidationError(language, withoutKey)).toBe('$.pgKey: required field missing');
  });
});

describe.each(backends)('codegen from the live catalog [%s]', (backend) => {
  let db: TestDatabase;
  let catalog: Catalog;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await generateSample(db.pool, { scale: 0.01, referenceDate: new Date('2024-06-01T00:00:00Z') });
    await db.pool.query(FOREIGN_DDL);
    await copySampleIntoForeignSchema(db.pool);
    catalog = await readCatalog(db.pool, 'public');
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  it('builds exactly the committed mirror configuration', () => {
    const { config, plainReferences } = mirrorConfigFromCatalog(catalog, STORY_SITE_CONFIG);
    expect(config).toEqual(STORY_SITE_TABLES);
    expect(JSON.stringify(config)).toBe(JSON.stringify(STORY_SITE_TABLES));
    expect(
      plainReferences.map((r) => `${r.table}.${r.columns.join()} → ${r.references} (${r.why})`),
    ).toEqual([
      'story.author → users (not mirrored)',
      'story.author_change → users (not mirrored)',
      'story_approval.user_id → users (not mirrored)',
      'story_done.user_id → users (not mirrored)',
    ]);
  });

  it("renders the committed files: the story site's convex/ is fresh", async () => {
    const rendered = await renderCatalogFiles(root, convexDir, catalog, STORY_SITE_CONFIG);
    expect([...rendered.files.keys()]).toContain('examples/story-site/convex/tandem/schemaFragment.ts');
    expect(staleFiles(root, rendered)).toEqual([]);
  });

  it('gives a schema that accepts every sample row', async () => {
    const checked = await validateAllRows(db.pool, STORY_SITE_TABLES, 'public');
    expect(Object.keys(checked)).toEqual([...APP_TABLES]);
    expect(checked).toMatchObject({ language: 8, story: 20, story_done: 1000 });
  });

  it("works on a database built by other people's DDL", async () => {
    const settings = { ...STORY_SITE_CONFIG, schema: 'legacy' };
    const foreign = await readCatalog(db.pool, 'legacy');
    expect(foreign.tables.map((t) => t.name)).toContain('StoryTag');

    const plan = buildPlan(foreign, { config: settings });
    expect(plan.order).toEqual([...APP_TABLES]);
    expect(plan.phases.map((p) => p.name)).toEqual(['lookup', 'course', 'story', 'events']);
    const story = plan.tables.find((t) => t.name === 'story')!;
    // Keys come in the order of their columns (course_id is the second column here).
    expect(story.dependencies.map((d) => [d.constraint, d.table])).toEqual([
      ['fk_story_course', 'course'],
      ['fk_story_image', 'image'],
    ]);
    expect(story.dependsOn).toEqual(['image', 'course']);
    expect(story.notMirrored.map((r) => [r.columns, r.table])).toEqual([
      [['author_change'], 'users'],
      [['author'], 'users'],
    ]);

    const { config } = mirrorConfigFromCatalog(foreign, settings);
    expect(config.tables.find((t) => t.name === 'image')!.columns.map((c) => c.name)).toEqual([
      'active',
      'id',
      'gilded',
      'locked',
      'active_lip',
      'gilded_lip',
    ]);
    // Same tables, columns, types, nullability, keys and references; only column order differs.
    const { config: normalized } = mirrorConfigFromCatalog(inSampleOrder(foreign), settings);
    expect(normalized).toEqual({
      schema: 'legacy',
      tables: STORY_SITE_TABLES.tables.map((t) => ({ ...t, schema: 'legacy' })),
    });
    const rendered = await renderCatalogFiles(root, convexDir, inSampleOrder(foreign), settings);
    expect(staleFiles(root, rendered)).toEqual([]);

    const checked = await validateAllRows(db.pool, config, 'legacy');
    expect(checked).toMatchObject({ language: 8, story: 20, story_done: 1000 });
  });

  it('refuses what Convex cannot hold and keeps unresolvable keys as plain values', () => {
    const foreign = { ...catalog, schema: 'cat' };
    const table = (
      name: string,
      extra: Partial<Catalog['tables'][number]>,
    ): Catalog['tables'][number] => ({
      schema: 'cat',
      name,
      kind: 'table',
      columns: [],
      primaryKey: { name: `${name}_pkey`, columns: ['id'] },
      uniques: [],
      foreignKeys: [],
      ...extra,
    });
    const col = (name: string, baseType: string, position: number) => ({
      name,
      position,
      declaredType: baseType,
      baseType,
      baseTypeSchema: 'pg_catalog',
      isArray: false,
      enumValues: null,
      maxLength: null,
      notNull: name === 'id',
      default: null,
      identity: null,
      generated: false,
      domain: null,
    });
    const parent = table('parent', { columns: [col('id', 'int4', 1), col('code', 'text', 2)] });
    const child = table('child', {
      columns: [col('id', 'int4', 1), col('parent_id', 'int4', 2), col('parent_code', 'text', 3)],
      foreignKeys: [
        {
          name: 'child_pair',
          columns: ['parent_id', 'parent_code'],
          referencedSchema: 'cat',
          referencedTable: 'parent',
          referencedColumns: ['id', 'code'],
          onDelete: 'no action',
          onUpdate: 'no action',
          deferrable: false,
        },
        {
          name: 'child_code',
          columns: ['parent_code'],
          referencedSchema: 'cat',
          referencedTable: 'parent',
          referencedColumns: ['code'],
          onDelete: 'no action',
          onUpdate: 'no action',
          deferrable: false,
        },
      ],
    });
    const settings = parseProjectConfig({ schema: 'cat' }, null);
    const built = mirrorConfigFromCatalog({ ...foreign, tables: [child, parent] }, settings);
    expect(built.config.tables.map((t: TableConfig) => [t.name, t.foreignKeys])).toEqual([
      ['parent', []],
      ['child', []],
    ]);
    expect(built.plainReferences.map((r) => [r.constraint, r.why])).toEqual([
      ['child_pair', 'composite key'],
      ['child_code', 'not the primary key'],
    ]);

    const withUuid = table('thing', { columns: [col('id', 'uuid', 1), col('addr', 'inet', 2)] });
    expect(
      mirrorConfigFromCatalog({ ...foreign, tables: [withUuid] }, settings).config.tables[0]!
        .columns,
    ).toEqual([
      { name: 'id', type: 'uuid', nullable: false },
      { name: 'addr', type: 'other', nullable: true, pgType: 'inet' },
    ]);
    const floatKey = table('measure', { columns: [col('id', 'float8', 1)] });
    expect(() => mirrorConfigFromCatalog({ ...foreign, tables: [floatKey] }, settings)).toThrow(
      new ConfigError(
        'cat.measure.id',
        'primary key column of type float8 cannot be mirrored: key columns must be one of int2, int4, int8, numeric, text, varchar, bpchar, uuid, date, time, timestamp, timestamptz or an enum',
      ),
    );
    const heavyElsewhere = parseProjectConfig(
      { schema: 'cat', heavy: { ghost: { table: 'ghost_content', columns: ['x'] } } },
      'tandem.config.json',
    );
    expect(() => mirrorConfigFromCatalog({ ...foreign, tables: [parent] }, heavyElsewhere)).toThrow(
      new ConfigError(
        'tandem.config.json: heavy',
        'table cat.ghost does not exist (or is not an ordinary or partitioned table)',
      ),
    );
  });

  it('runs as `tandem codegen --check`: exit 0 when fresh, 1 and the stale files otherwise', async () => {
    const env = { ...process.env, DATABASE_URL: db.url, TANDEM_LOG_LEVEL: 'silent' };
    const cli = path.join(root, 'bin/tandem.js');
    const storyConfig = path.join(root, 'examples/story-site/tandem.config.json');
    const { stdout } = await run('node', [cli, '--config', storyConfig, 'codegen', '--check'], {
      env,
      cwd: root,
    });
    expect(stdout).toBe('up to date (10 tables)\n');
    // The legacy schema orders its columns differently, so the generated files would change.
    const configFile = path.join(
      fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-codegen-')),
      'tandem.config.json',
    );
    const { invariants: _invariants, ...story } = JSON.parse(fs.readFileSync(storyConfig, 'utf8'));
    fs.writeFileSync(configFile, JSON.stringify({ ...story, schema: 'legacy' }));
    const stale = await run(
      'node',
      [cli, 'codegen', '--check', '--config', configFile, '--convex-dir', 'examples/story-site/convex'],
      { env, cwd: root },
    ).catch((e: { code: number; stdout: string }) => e);
    expect(stale).toMatchObject({
      code: 1,
      stdout:
        'stale: examples/story-site/convex/tandem/tables.ts\nstale: examples/story-site/convex/tandem/schemaFragment.ts\nrun `tandem codegen` to regenerate\n',
    });
  }, 60_000);

  it('writes the kit into another Convex folder with `--convex-dir`; then `--check` is clean', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      TANDEM_LOG_LEVEL: 'silent',
      TANDEM_CONFIG: path.join(root, 'examples/story-site/tandem.config.json'),
    };
    const cli = path.join(root, 'bin/tandem.js');
    const appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-codegen-app-'));
    fs.mkdirSync(path.join(appDir, 'convex'));
    // The app's own Convex-CLI _generated is left to that CLI.
    fs.mkdirSync(path.join(appDir, 'convex/_generated'));
    fs.writeFileSync(path.join(appDir, 'convex/_generated/api.js'), '// by convex\n');
    const opts = { env, cwd: appDir };
    const wrote = await run(
      'node',
      [cli, 'codegen', '--convex-dir', 'convex', '--check'],
      opts,
    ).catch((e: { code: number; stdout: string }) => e);
    expect(wrote).toMatchObject({ code: 1 });
    const { stdout, stderr } = await run('node', [cli, 'codegen', '--convex-dir', 'convex'], opts);
    const kit = [
      'apply',
      'canonical',
      'changeLog',
      'exportRows',
      'lookup',
      'parity',
      'ranges',
      'refs',
      'reverseSync',
      'sha256',
      'types',
    ];
    expect(stdout).toBe(
      [
        'convex/tandem.ts',
        ...kit.map((m) => `convex/tandem/${m}.ts`),
        'convex/tandem/tables.ts',
        'convex/tandem/schemaFragment.ts',
        'convex/schema.ts',
      ]
        .map((f) => `wrote ${f}\n`)
        .join(''),
    );
    expect(stdout).not.toContain('_generated');
    expect(stderr).toBe(
      "note: _generated/: left alone, written by Convex's CLI (_generated/api.js); `npx convex dev` or `npx convex codegen` refreshes it\n",
    );
    expect(fs.readFileSync(path.join(appDir, 'convex/tandem/schemaFragment.ts'), 'utf8')).toBe(
      fs.readFileSync(path.join(convexDir, 'tandem/schemaFragment.ts'), 'utf8'),
    );
    const check = await run('node', [cli, 'codegen', '--convex-dir', 'convex', '--check'], opts);
    expect(check.stdout).toBe('up to date (10 tables)\n');
  }, 60_000);
});
