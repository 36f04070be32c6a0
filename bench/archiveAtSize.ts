/**
 * `tandem archive` and `tandem restore` at size: a table of documents of
 * about `--doc-kb` KB each (a jsonb body of text that compresses about as
 * well as prose, one row per document), grown to each of `--sizes` rows on
 * real PostgreSQL. At each size the archive (with its own verification: a
 * restore rolled back) and a restore into a new schema each run in a child
 * process of their own, which reports its time and its peak resident memory
 * (the kernel's high-water mark, `maxRSS`): flat memory means the peak does
 * not grow with the rows. A child that only loads the same modules and
 * connects is the floor, measured in the same run.
 *
 *   npx tsx bench/archiveAtSize.ts [--sizes 2000,5000,10000] [--doc-kb 100] [--heap-cap-mib 256]
 *
 * Each child runs with its V8 heap capped at `--heap-cap-mib` (0: no cap): an
 * uncapped heap grows with what was allocated, not what is live, when memory
 * is plentiful, so the cap is what shows memory bounded (a run that needed
 * more would fail).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseProjectConfig } from '../src/config/projectConfig.js';
import { discoverMirror } from '../src/discovery/discoverMirror.js';
import { archiveTable } from '../src/phases/archive.js';
import { restoreArchive } from '../src/phases/restore.js';
import { createPool } from '../src/postgres/database.js';
import { migrate } from '../src/postgres/migrate.js';
import { withBenchDatabases } from './support/benchDatabase.js';
import { describeMachine, printMachine } from './support/machine.js';
import { DEFAULT_TOOL_SCHEMA } from '../src/core/toolSchema.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '2000,5000,10000' },
    'doc-kb': { type: 'string', default: '100' },
    'heap-cap-mib': { type: 'string', default: '256' },
    child: { type: 'string' },
    url: { type: 'string' },
    dir: { type: 'string' },
    into: { type: 'string' },
  },
});

/** In a child: one operation, then its time and peak RSS as one JSON line. */
async function runChild(op: string): Promise<void> {
  const pool = createPool(values.url!, 4);
  const started = process.hrtime.bigint();
  let rows = 0;
  if (op === 'archive') {
    const { mirror } = await discoverMirror(
      pool,
      parseProjectConfig({ schema: 'bench_doc' }, null),
    );
    const result = await archiveTable(pool, DEFAULT_TOOL_SCHEMA, mirror, 'document', { out: values.dir! });
    if (!result.verified)
      throw new Error(`archive not verified: ${String(result.evidence.detail.summary)}`);
    rows = result.manifest.rows;
  } else if (op === 'restore') {
    rows = (await restoreArchive(pool, values.dir!, { into: values.into! })).rows;
  } else {
    await pool.query('SELECT 1');
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  await pool.end();
  process.stdout.write(
    `${JSON.stringify({ ms, rows, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`,
  );
}

interface ChildResult {
  ms: number;
  rows: number;
  maxRssMiB: number;
}

function child(args: string[]): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    // A capped heap: V8 lets an uncapped heap grow with what was allocated
    // (not what is live) when memory is plentiful, so only a cap shows whether
    // what is live stays bounded; a run that needed more would fail here.
    const cap = Number(values['heap-cap-mib']);
    const heap = cap > 0 ? [`--max-old-space-size=${cap}`] : [];
    const proc = spawn(
      process.execPath,
      [...process.execArgv, ...heap, fileURLToPath(import.meta.url), ...args],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1)!) as ChildResult)
        : reject(new Error(`child ${args[1]} exited ${code}`)),
    );
  });
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await run();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const dirSize = (dir: string) =>
  fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);

if (values.child) {
  await runChild(values.child);
} else {
  const sizes = values.sizes.split(',').map(Number);
  const docChars = Number(values['doc-kb']) * 1024;
  await withBenchDatabases(1, 4, async ([db]) => {
    const pool = db!.pool;
    printMachine(await describeMachine(pool));
    await migrate(pool, DEFAULT_TOOL_SCHEMA);
    // A 1 MiB pool of random hex in another schema; each document is a slice of
    // it at its own offset: no two documents alike, and hex compresses about 2:1
    // under gzip, as text does.
    await pool.query(`
      CREATE SCHEMA bench_src;
      CREATE TABLE bench_src.noise AS SELECT string_agg(md5(random()::text), '') AS t FROM generate_series(1, 32768);
      CREATE SCHEMA bench_doc;
      CREATE TABLE bench_doc.document (
        id bigint PRIMARY KEY, title text NOT NULL, body jsonb NOT NULL, updated_at timestamptz NOT NULL
      );`);
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-bench-archive-'));
    const url = db!.url;
    process.stdout.write(
      `documents: ~${values['doc-kb']} KB each (jsonb: id, text, tags); sizes ${sizes.join(', ')} rows\n`,
    );
    const floor = await child(['--child', 'floor', '--url', url]);
    process.stdout.write(
      `floor (a child that loads the same modules and connects): peak RSS ${floor.maxRssMiB.toFixed(0)} MiB; every child's V8 heap capped at ${values['heap-cap-mib']} MiB (0: none)\n\n`,
    );
    process.stdout.write(
      'rows    data MiB  archive s  MiB/s  rows/s  peak RSS MiB | restore s  MiB/s  rows/s  peak RSS MiB | archive file MiB\n',
    );
    let have = 0;
    const floors: string[] = [];
    try {
      for (const size of sizes) {
        for (let from = have + 1; from <= size; from += 500) {
          await pool.query(
            `INSERT INTO bench_doc.document
             SELECT i, 'document ' || i,
                    jsonb_build_object('id', i, 'text', substr(n.t, (1 + (i * 7919) % (length(n.t) - $3::int))::int, $3::int), 'tags', jsonb_build_array('a', 'b')),
                    timestamptz '2026-01-01' + i * interval '1 second'
               FROM generate_series($1::bigint, $2::bigint) AS i, bench_src.noise n`,
            [from, Math.min(size, from + 499), docChars],
          );
        }
        have = size;
        await pool.query('VACUUM ANALYZE bench_doc.document');
        const dataMiB =
          Number(
            (
              await pool.query(
                `SELECT sum(length(body::text) + length(title) + 40) AS b FROM bench_doc.document`,
              )
            ).rows[0].b,
          ) /
          2 ** 20;
        const dir = path.join(work, `archive-${size}`);
        const archive = await child(['--child', 'archive', '--url', url, '--dir', dir]);
        const restore = await child([
          '--child',
          'restore',
          '--url',
          url,
          '--dir',
          dir,
          '--into',
          `restored_${size}`,
        ]);
        if (archive.rows !== size || restore.rows !== size)
          throw new Error(
            `rows: archived ${archive.rows}, restored ${restore.rows}, expected ${size}`,
          );
        // The floor, in the same run: Postgres alone rendering every row as
        // text (what the archive reads), and parsing and writing them again
        // (what a restore asks of it), with no client in between.
        const readFloor = await timed(() =>
          pool.query(
            `SELECT sum(length(id::text) + length(title) + length(body::text) + length(updated_at::text)) FROM bench_doc.document`,
          ),
        );
        await pool.query('CREATE TABLE bench_src.rewrite (LIKE bench_doc.document INCLUDING ALL)');
        const writeFloor = await timed(() =>
          pool.query(
            `INSERT INTO bench_src.rewrite SELECT id::text::bigint, title, body::text::jsonb, updated_at::text::timestamptz FROM bench_doc.document`,
          ),
        );
        await pool.query('DROP TABLE bench_src.rewrite');
        floors.push(
          `${size} rows: Postgres renders them as text in ${(readFloor / 1000).toFixed(1)} s (${(dataMiB / (readFloor / 1000)).toFixed(1)} MiB/s), parses and writes them in ${(writeFloor / 1000).toFixed(1)} s (${(dataMiB / (writeFloor / 1000)).toFixed(1)} MiB/s)`,
        );
        const fileMiB = dirSize(dir) / 2 ** 20;
        await pool.query(`DROP SCHEMA restored_${size} CASCADE`);
        fs.rmSync(dir, { recursive: true, force: true });
        const rate = (r: ChildResult) =>
          `${(r.ms / 1000).toFixed(1).padStart(9)}  ${(dataMiB / (r.ms / 1000)).toFixed(1).padStart(5)}  ${(size / (r.ms / 1000)).toFixed(0).padStart(6)}  ${r.maxRssMiB.toFixed(0).padStart(12)}`;
        process.stdout.write(
          `${String(size).padEnd(7)} ${dataMiB.toFixed(0).padStart(8)}  ${rate(archive)} | ${rate(restore)} | ${fileMiB.toFixed(0).padStart(16)}\n`,
        );
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
    process.stdout.write(
      `\nfloor, server side only (no client):\n${floors.map((f) => `  ${f}`).join('\n')}\n`,
    );
    process.stdout.write(
      `load average after the run (1/5/15 min): ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n`,
    );
  });
}
