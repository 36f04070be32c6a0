/**
 * `tandem plan` on the story site's schema, on a self-referencing table and on
 * a foreign-key cycle, each in its own schema of one test database.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TABLES, createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { readCatalog } from '../../src/postgres/catalog/index.js';
import { formatPlan, planJson, readPlan, type MigrationPlan } from '../../src/plan/index.js';
import { availableBackends, createTestDatabase, type TestDatabase } from '../support/db.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { STORY_SITE_CONFIG } from '../support/storySiteMirror.js';

const backends = await availableBackends();
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = promisify(execFile);

const SELF_REFERENCE_DDL = `
CREATE SCHEMA selfref;
CREATE TABLE selfref.category (id integer PRIMARY KEY, parent_id integer REFERENCES selfref.category (id), name text NOT NULL);
CREATE TABLE selfref.item (id bigint PRIMARY KEY, category_id integer NOT NULL REFERENCES selfref.category (id) ON DELETE CASCADE);
INSERT INTO selfref.category VALUES (1, NULL, 'root'), (2, 1, 'child');
`;

// author.favorite_book_id (nullable) → book and book.author_id (NOT NULL) → author.
const CYCLE_DDL = `
CREATE SCHEMA cycle;
CREATE TABLE cycle.author (id integer PRIMARY KEY, favorite_book_id integer);
CREATE TABLE cycle.book (id integer PRIMARY KEY, author_id integer NOT NULL REFERENCES cycle.author (id));
ALTER TABLE cycle.author ADD CONSTRAINT author_favorite_fk FOREIGN KEY (favorite_book_id) REFERENCES cycle.book (id) DEFERRABLE;
CREATE TABLE cycle.review (id integer PRIMARY KEY, book_id integer NOT NULL REFERENCES cycle.book (id));
`;

const SAMPLE_ROWS = `
INSERT INTO language (id, name, short) VALUES (1, 'English', 'en'), (2, 'עברית', 'he');
INSERT INTO image VALUES ('img', 'a', 'g', 'l', 'ff0000', '00ff00');
INSERT INTO course (id, short, learning_language, from_language) VALUES (1, 'he-en', 2, 1);
INSERT INTO story (id, set_id, set_index, course_id, image) VALUES (1, 1, 1, 1, 'img'), (2, 1, 2, 1, NULL);
INSERT INTO story_done (story_id) SELECT 1 FROM generate_series(1, 25);
`;

/** Every key to another planned table points at a table earlier in the order (checked against the catalog). */
async function expectTopological(
  db: TestDatabase,
  plan: MigrationPlan,
  schema: string,
): Promise<void> {
  const catalog = await readCatalog(db.pool, schema);
  for (const [i, name] of plan.order.entries()) {
    const table = catalog.tables.find((t) => t.name === name)!;
    for (const fk of table.foreignKeys) {
      const parent = plan.order.indexOf(fk.referencedTable);
      const deferred = plan.tables[i]!.secondPass.some((s) => s.constraint === fk.name);
      if (parent >= 0 && !deferred)
        expect(parent, `${name}.${fk.columns.join()} → ${fk.referencedTable}`).toBeLessThan(i);
    }
  }
}

describe.each(backends)('migration plan [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await createAppSchema(db.pool);
    await db.pool.query(SAMPLE_ROWS);
    await db.pool.query(SELF_REFERENCE_DDL);
    await db.pool.query(CYCLE_DDL);
  });

  afterAll(async () => {
    await db?.close();
  });

  it("orders the story site's tables as DOMAIN.md recommends, in valid dependency order", async () => {
    const plan = await readPlan(db.pool, { config: STORY_SITE_CONFIG });
    expect(plan.order).toEqual([...APP_TABLES]);
    await expectTopological(db, plan, 'public');
    expect(plan.phases).toEqual([
      {
        name: 'lookup',
        kind: 'lookup',
        tables: ['language', 'localization', 'image', 'avatar', 'speaker', 'avatar_mapping'],
      },
      { name: 'course', kind: 'core', tables: ['course'] },
      { name: 'story', kind: 'core', tables: ['story'] },
      { name: 'events', kind: 'events', tables: ['story_approval', 'story_done'] },
    ]);
    expect(plan.cycles).toEqual([]);
    expect(plan.leftOut).toEqual([]);
  });

  it('explains each place: the keys depended on, keys to unmirrored tables, the phase', async () => {
    const plan = await readPlan(db.pool, { config: STORY_SITE_CONFIG });
    const dependsOn = Object.fromEntries(plan.tables.map((t) => [t.name, t.dependsOn]));
    expect(dependsOn).toEqual({
      language: [],
      localization: ['language'],
      image: [],
      avatar: [],
      speaker: ['language'],
      avatar_mapping: ['language', 'avatar'],
      course: ['language'],
      story: ['image', 'course'],
      story_approval: ['story'],
      story_done: ['story'],
    });
    const byName = new Map(plan.tables.map((t) => [t.name, t]));
    expect(byName.get('language')!.reason).toBe('lookup: references no other mirrored table');
    expect(byName.get('avatar_mapping')!.reason).toBe(
      'lookup: nothing references it and it only references lookup tables; after avatar (avatar_id), language (language_id)',
    );
    expect(byName.get('story')!.reason).toBe(
      'core table: referenced by story_approval, story_done and references course, image; ' +
        'after image (image), course (course_id); not mirrored: users (author, author_change)',
    );
    expect(byName.get('story_done')!.reason).toBe(
      'events: nothing references it and it hangs off story; after story (story_id); not mirrored: users (user_id)',
    );
    expect(byName.get('story_approval')!.dependencies).toEqual([
      {
        constraint: 'story_approval_story_id_fkey',
        columns: ['story_id'],
        table: 'story',
        referencedColumns: ['id'],
        nullable: true,
        onDelete: 'cascade',
      },
    ]);
    expect(byName.get('story')!.notMirrored.map((r) => [r.columns, r.table])).toEqual([
      [['author'], 'users'],
      [['author_change'], 'users'],
    ]);
    expect(byName.get('language')!.referencedBy).toEqual([
      'localization',
      'speaker',
      'avatar_mapping',
      'course',
    ]);
    for (const t of plan.tables) expect(t.reason.length).toBeGreaterThan(0);
  });

  it('reports rows and sizes: exact counts when small, the planner estimate when large', async () => {
    const exact = await readPlan(db.pool, { config: STORY_SITE_CONFIG });
    const { rows } = await db.pool.query<{ relname: string; bytes: string }>(
      `SELECT relname, pg_total_relation_size(oid)::text AS bytes FROM pg_class
        WHERE relnamespace = 'public'::regnamespace AND relname = ANY($1::text[])`,
      [[...APP_TABLES]],
    );
    const sizes = Object.fromEntries(rows.map((r) => [r.relname, Number(r.bytes)]));
    const counts = Object.fromEntries(exact.tables.map((t) => [t.name, [t.rows, t.rowsEstimated]]));
    expect(counts).toMatchObject({
      language: [2, false],
      image: [1, false],
      course: [1, false],
      story: [2, false],
      story_done: [25, false],
      avatar: [0, false],
    });
    for (const t of exact.tables) expect(t.bytes).toBe(sizes[t.name]);

    await db.pool.query('ANALYZE story_done');
    const { rows: est } = await db.pool.query<{ n: number }>(
      `SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'public.story_done'::regclass`,
    );
    const estimated = await readPlan(db.pool, {
      config: STORY_SITE_CONFIG,
      only: ['story_done'],
      exactCountBelow: 1,
    });
    expect(estimated.tables[0]).toMatchObject({
      name: 'story_done',
      rows: Math.round(est[0]!.n),
      rowsEstimated: true,
    });
  });

  it('prints --json as { order, tables: { name: { dependsOn, phase, rows, bytes } } }', async () => {
    const json = planJson(await readPlan(db.pool, { config: STORY_SITE_CONFIG }));
    expect(json.order).toEqual([...APP_TABLES]);
    expect(Object.keys(json.tables)).toEqual([...APP_TABLES]);
    expect(json.tables.story).toMatchObject({
      dependsOn: ['image', 'course'],
      phase: 'story',
      rows: 2,
      rowsEstimated: false,
      secondPass: [],
      notMirrored: ['story.author → users', 'story.author_change → users'],
      leftOut: [],
    });
    expect(typeof json.tables.story!.bytes).toBe('number');
  });

  it('restricts the plan with --tables and names the dependencies left out', async () => {
    const plan = await readPlan(db.pool, {
      config: STORY_SITE_CONFIG,
      only: ['story_done', 'story'],
    });
    expect(plan.order).toEqual(['story', 'story_done']);
    expect(plan.leftOut).toEqual(['course', 'image']);
    expect(plan.tables[0]!.dependsOn).toEqual([]);
    expect(plan.tables[0]!.leftOut.map((r) => r.table)).toEqual(['image', 'course']);
    expect(plan.tables[1]!.dependsOn).toEqual(['story']);
    // Phases come from the whole mirrored graph, not the selection.
    expect(plan.phases.map((p) => p.name)).toEqual(['story', 'events']);
    expect(formatPlan(plan)).toContain(
      'left out by --tables but referenced: course, image (copy them first)',
    );
  });

  it('never plans the legacy auth tables, and plans every keyed table with no config', async () => {
    await expect(
      readPlan(db.pool, { config: STORY_SITE_CONFIG, only: ['users'] }),
    ).rejects.toThrow(new InvalidInputError('tables', 'users is never mirrored'));
    await expect(
      readPlan(db.pool, { config: STORY_SITE_CONFIG, only: ['nope'] }),
    ).rejects.toThrow(
      new InvalidInputError(
        'tables',
        'table public.nope does not exist (or is not an ordinary or partitioned table)',
      ),
    );
    // No config: every table of public with a primary key, users among them.
    const everything = await readPlan(db.pool, { config: parseProjectConfig({}, null) });
    expect([...everything.order].sort()).toEqual([...APP_TABLES, 'users'].sort());
    // Legacy tables are left out without naming the others.
    const legacy = await readPlan(db.pool, {
      config: parseProjectConfig({ legacyTables: ['users'] }, null),
    });
    expect([...legacy.order].sort()).toEqual([...APP_TABLES].sort());
    expect(() =>
      parseProjectConfig({ include: ['story', 'users'], legacyTables: ['users'] }, 'c.json'),
    ).toThrow('c.json: include: users is also listed in legacyTables');
  });

  it('fills a self-reference in a second pass', async () => {
    const plan = await readPlan(db.pool, { config: parseProjectConfig({ schema: 'selfref' }, null) });
    expect(plan.order).toEqual(['category', 'item']);
    await expectTopological(db, plan, 'selfref');
    const category = plan.tables[0]!;
    expect(category.secondPass).toEqual([
      {
        constraint: 'category_parent_id_fkey',
        columns: ['parent_id'],
        table: 'category',
        referencedColumns: ['id'],
        nullable: true,
        onDelete: 'no action',
        because: 'self-reference',
      },
    ]);
    expect(category.dependsOn).toEqual([]);
    expect(category.rows).toBe(2);
    expect(category.reason).toBe(
      'lookup: references no other mirrored table; parent_id → category references its own table: filled in a second pass',
    );
    expect(planJson(plan).tables.category!.secondPass).toEqual(['category.parent_id → category']);
    expect(plan.cycles).toEqual([]);
  });

  it('detects a cycle and defers its nullable key to a second pass', async () => {
    const plan = await readPlan(db.pool, { config: parseProjectConfig({ schema: 'cycle' }, null) });
    expect(plan.order).toEqual(['author', 'book', 'review']);
    await expectTopological(db, plan, 'cycle');
    expect(plan.cycles).toEqual([
      { tables: ['author', 'book'], deferred: ['author.favorite_book_id → book'] },
    ]);
    const author = plan.tables[0]!;
    expect(author.secondPass.map((s) => [s.constraint, s.because])).toEqual([
      ['author_favorite_fk', 'cycle'],
    ]);
    expect(author.reason).toBe(
      'core table: referenced by book and references book; favorite_book_id → book closes a cycle: filled in a second pass',
    );
    expect(plan.tables[1]!.dependsOn).toEqual(['author']);
    expect(plan.phases.map((p) => p.name)).toEqual(['author', 'book', 'events']);
    expect(formatPlan(plan)).toContain(
      'cycle among author, book: a second pass fills author.favorite_book_id → book',
    );
  });

  it('runs as `tandem plan --tables … --json`, and refuses a legacy auth table with exit 2', async () => {
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      TANDEM_LOG_LEVEL: 'silent',
      TANDEM_CONFIG: 'examples/story-site/tandem.config.json',
    };
    const cli = path.join(root, 'bin/tandem.js');
    const json = await run('node', [cli, 'plan', '--tables', 'course,language', '--json'], {
      env,
      cwd: root,
    });
    const parsed = JSON.parse(json.stdout);
    expect(parsed.order).toEqual(['language', 'course']);
    expect(parsed.tables.course).toMatchObject({
      dependsOn: ['language'],
      phase: 'course',
      rows: 1,
    });
    const refused = await run('node', [cli, 'plan', '--tables', 'users'], { env, cwd: root }).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(refused).toMatchObject({ code: 2, stderr: 'tandem: tables: users is never mirrored\n' });
  }, 60_000);
});
