/**
 * Embedded PGlite's memory bounds: new data directories are copied from the
 * build's template (no initdb in the caller's process), never over an existing
 * or foreign directory, and PGlite runs with the smaller buffer pool.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/postgres/database.js';
import { startEmbeddedPostgres } from '../../src/postgres/embedded.js';
import {
  PGLITE_SHARED_BUFFERS,
  PGLITE_TEMPLATE_DIR,
  seedFromTemplate,
} from '../../src/postgres/pgliteDataDir.js';

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-pglite-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

function fakeTemplate(): string {
  const dir = path.join(scratch, 'template');
  fs.mkdirSync(path.join(dir, 'base'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'PG_VERSION'), '18\n');
  fs.writeFileSync(path.join(dir, 'base', '1'), 'pages');
  fs.writeFileSync(path.join(dir, '.tandem-template'), 'fingerprint');
  return dir;
}

const listing = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

describe('seedFromTemplate', () => {
  it('copies the template into an absent data directory, without the build stamp', () => {
    const target = path.join(scratch, 'pgdata');
    expect(seedFromTemplate(target, fakeTemplate())).toBe(true);
    expect(listing(target)).toEqual(['PG_VERSION', 'base', path.join('base', '1')]);
    expect(fs.readdirSync(scratch).sort()).toEqual(['pgdata', 'template']);
  });

  it('fills an empty directory', () => {
    const target = path.join(scratch, 'pgdata');
    fs.mkdirSync(target);
    expect(seedFromTemplate(target, fakeTemplate())).toBe(true);
    expect(fs.readFileSync(path.join(target, 'PG_VERSION'), 'utf8')).toBe('18\n');
  });

  it('leaves an initialised or a foreign non-empty directory alone', () => {
    const template = fakeTemplate();
    const initialised = path.join(scratch, 'initialised');
    fs.mkdirSync(initialised);
    fs.writeFileSync(path.join(initialised, 'PG_VERSION'), '17\n');
    const foreign = path.join(scratch, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine');

    expect(seedFromTemplate(initialised, template)).toBe(false);
    expect(seedFromTemplate(foreign, template)).toBe(false);
    expect(listing(initialised)).toEqual(['PG_VERSION']);
    expect(fs.readFileSync(path.join(initialised, 'PG_VERSION'), 'utf8')).toBe('17\n');
    expect(listing(foreign)).toEqual(['notes.txt']);
  });

  it('does nothing without a template, or for an in-memory database', () => {
    expect(seedFromTemplate(path.join(scratch, 'a'), path.join(scratch, 'none'))).toBe(false);
    expect(seedFromTemplate('memory://', fakeTemplate())).toBe(false);
    expect(fs.existsSync(path.join(scratch, 'a'))).toBe(false);
  });
});

describe('embedded PGlite from the build template [pglite]', () => {
  it('starts on a copied data directory with the smaller buffer pool, and keeps its data', async () => {
    // The vitest global setup builds dist/, template included.
    expect(fs.existsSync(path.join(PGLITE_TEMPLATE_DIR, 'PG_VERSION'))).toBe(true);
    const dataDir = path.join(scratch, 'pgdata');
    const first = await startEmbeddedPostgres({ dataDir });
    const pool = createPool(first.url, 2);
    try {
      const shown = await pool.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(shown.rows[0]?.shared_buffers).toBe(PGLITE_SHARED_BUFFERS);
      await pool.query('CREATE TABLE kept (id int PRIMARY KEY)');
      await pool.query('INSERT INTO kept VALUES (7)');
    } finally {
      await pool.end();
      await first.stop();
    }
    expect(fs.existsSync(path.join(dataDir, '.tandem-template'))).toBe(false);

    const again = await startEmbeddedPostgres({ dataDir });
    const pool2 = createPool(again.url, 2);
    try {
      const rows = await pool2.query<{ id: number }>('SELECT id FROM kept');
      expect(rows.rows).toEqual([{ id: 7 }]);
    } finally {
      await pool2.end();
      await again.stop();
    }
  });
  it('runs a data directory made before this change (128 MB in its postgresql.conf) with the smaller pool', async () => {
    const dataDir = path.join(scratch, 'older');
    expect(seedFromTemplate(dataDir)).toBe(true);
    const conf = path.join(dataDir, 'postgresql.conf');
    fs.writeFileSync(
      conf,
      fs.readFileSync(conf, 'utf8').replace(/^shared_buffers = \S+/m, 'shared_buffers = 128MB'),
    );
    const pg = await startEmbeddedPostgres({ dataDir });
    const pool = createPool(pg.url, 1);
    try {
      const shown = await pool.query<{ shared_buffers: string }>('SHOW shared_buffers');
      expect(shown.rows[0]?.shared_buffers).toBe(PGLITE_SHARED_BUFFERS);
    } finally {
      await pool.end();
      await pg.stop();
    }
  });
});
