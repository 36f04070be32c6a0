#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark in bench/, one after the other (they
 * measure this machine; two at once would measure each other), and rewrites
 * the generated section of BENCHMARKS.md with each one's figures, the machine,
 * the date, the commit and the Convex target each one measured. The analysis
 * sections of BENCHMARKS.md (what the figures mean, what was tried) are
 * written by hand and left as they are.
 *
 *   npm run bench                       every benchmark at its documented size (long: about an hour)
 *   npm run bench -- --quick            smaller sizes (minutes), to check they all still run
 *   npm run bench -- --only relay,parity
 *   npm run bench -- --dry-run          list what would run
 *
 * A benchmark that fails is reported with its exit code and the end of its
 * output, the others still run, and the script exits 1.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCHMARKS_FILE = path.join(root, 'BENCHMARKS.md');
export const BEGIN = '<!-- npm run bench: generated section, begin -->';
export const END = '<!-- npm run bench: generated section, end -->';

/**
 * Every benchmark, with what it measures Convex against (none of these is a
 * real Convex deployment: one cannot run on this machine) and its quick size.
 */
export const BENCHMARKS = [
  { name: 'capture', script: 'bench/captureOverhead.ts', target: 'none (PostgreSQL only)', quick: ['--scale', '0.05', '--ops', '1200', '--blocks', '4'] },
  { name: 'relay', script: 'bench/relayThroughput.ts', target: 'counting target after a modeled 20 ms round trip', quick: ['--small', '20000', '--large', '300'] },
  { name: 'relay-rounds', script: 'bench/relayRounds.ts', target: 'counting target after a modeled 20 ms round trip', quick: ['--small', '10000'] },
  { name: 'relay-baseline', script: 'bench/relayBaseline.ts', target: 'counting target after a modeled 20 ms round trip (both versions)', quick: ['--rounds', '2', '--small', '10000'] },
  { name: 'process-scaling', script: 'bench/processScaling.ts', target: 'counting target after a modeled 20 ms round trip', quick: ['--small', '10000', '--scale', '0.1'] },
  { name: 'api-load', script: 'bench/apiLoad.ts', target: 'none (no relay runs; the API writes to PostgreSQL only)', quick: ['--seconds', '2', '--blocks', '3'] },
  { name: 'capture-designs', script: 'bench/captureDesigns.ts', target: 'none (PostgreSQL only: a private cluster with wal_level = logical)', quick: ['--seconds', '2', '--rounds', '1'] },
  { name: 'backfill', script: 'bench/backfill.ts', target: 'recording target after a modeled 20 ms round trip; the local stand-in (convex-test) for the local-scale run', quick: ['--scale', '0.2', '--naive-rows', '300', '--local-scale', '0.01', '--live', '1000', '--heap-cap-mib', '0'] },
  { name: 'parity', script: 'bench/parity.ts', target: 'in-memory test double of the Convex side after a modeled 20 ms round trip', quick: ['--rows', '100000'] },
  { name: 'standin', script: 'bench/standinUpserts.ts', target: 'embedded target (convex-test with the indexed store)', quick: ['--sizes', '10000,50000', '--measure', '5000', '--baseline', '1000'] },
  { name: 'standin-parity', script: 'bench/standinParity.ts', target: 'local stand-in (tandem convex-local, convex-test) over HTTP; baseline: in-memory double, no modeled latency', quick: ['--rows', '20000,50000'], build: true },
  { name: 'dev-sample', script: 'bench/devSample.ts', target: 'local stand-in (tandem dev: convex-test with the indexed store) over embedded PGlite', quick: ['--scales', '0.02,0.05'], build: true },
  { name: 'standin-restart', script: 'bench/standinRestart.ts', target: 'local stand-in (tandem convex-local, convex-test)', quick: ['--docs', '20000,100000'], build: true },
  { name: 'reads', script: 'bench/readCosts.ts', target: 'embedded target (convex-test)', quick: ['--extra-done', '1000'] },
  { name: 'read-stages', script: 'bench/readStages.ts', target: 'modeled remote Convex (8 ms wait)', quick: ['--blocks', '4', '--reads', '40', '--target', 'modeled'] },
  { name: 'story-site-read-stages', script: 'bench/storySiteReadStages.ts', target: 'modeled remote Convex (8 ms wait answering the Postgres result)', quick: ['--scale', '0.03', '--blocks', '3', '--reads', '5'], build: true },
  { name: 'read-router-cost', script: 'bench/readRouterCost.ts', target: 'none (both reads answer from memory)', quick: ['--blocks', '5', '--reads', '500'] },
  { name: 'archive-at-size', script: 'bench/archiveAtSize.ts', target: 'none (archive and restore read and write PostgreSQL only)', quick: ['--sizes', '200,800', '--doc-kb', '100'] },
  { name: 'control-room', script: 'bench/controlRoomOverview.ts', target: 'none (the overview reads PostgreSQL only)', quick: ['--rows', '10000', '--runs', '5'] },
  { name: 'write-pause', script: 'bench/writePause.ts', target: 'modeled Convex write (8 ms wait) and modeled reverse-sync drain (50 ms wait)', quick: ['--rounds', '3'] },
  { name: 'reverse-sync', script: 'bench/reverseSync.ts', target: 'embedded target (convex-test)', quick: ['--rows', '500'] },
  { name: 'reverse-sync-idle', script: 'bench/reverseSyncIdle.ts', target: 'embedded target (convex-test)', quick: ['--rounds', '2'] },
  { name: 'write-cutover', script: 'bench/writeCutover.ts', target: 'embedded target (convex-test, the local stand-in engine); baseline: a plain PostgreSQL UPDATE', quick: ['--ops', '10', '--seconds', '2', '--rounds', '2'] },
  { name: 'write-paths', script: 'bench/writePathLatency.ts', target: 'embedded target (convex-test, the local stand-in engine); baseline: a plain PostgreSQL UPDATE of an uncaptured table', quick: ['--blocks', '2', '--ops', '3'] },
  { name: 'any-app', script: 'bench/anyAppRealSize.ts', target: 'local stand-in (tandem convex-local, convex-test) driven by the compiled CLI', quick: ['--scale', '0.1'], build: true },
  { name: 'cli-rss', script: 'bench/cliRss.ts', target: 'embedded target (convex-test) inside the CLI', quick: ['--only', 'compiled'], build: true },
];

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;

/** What a terminal would show at the end: progress bars redraw a line with \r, so keep the last draw. */
export function cleanOutput(text) {
  return text
    .replace(ANSI, '')
    .split('\n')
    .map((line) => line.split('\r').at(-1).trimEnd())
    .join('\n')
    .trim();
}

function describeMachine() {
  const cpu = fs.readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'))?.split(':')[1]?.trim();
  const psql = spawnSync('psql', ['-XAtc', 'SHOW server_version', process.env.TANDEM_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'], { encoding: 'utf8' });
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  return [
    `- date: ${new Date().toISOString()}`,
    `- commit: ${commit || 'unknown'}`,
    `- machine: ${os.availableParallelism()} cores (${cpu ?? os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 1024 ** 3)} GiB RAM, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`,
    `- Node ${process.version}; PostgreSQL ${psql.status === 0 ? psql.stdout.trim() : 'unreachable'}`,
  ].join('\n');
}

/** Replaces the generated section (or appends one) and leaves the rest of the file as it is. */
export function rewriteSection(document, section) {
  const block = `${BEGIN}\n${section.trim()}\n${END}`;
  const begin = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (begin === -1 || end === -1 || end < begin) return `${document.trimEnd()}\n\n${block}\n`;
  return document.slice(0, begin) + block + document.slice(end + END.length);
}

function main() {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'dry-run': { type: 'boolean', default: false } },
  });
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !BENCHMARKS.some((b) => b.name === n)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}\n`);
    process.exit(2);
  }
  const selected = BENCHMARKS.filter((b) => !only || only.includes(b.name));
  if (values['dry-run']) {
    for (const b of selected) process.stdout.write(`${b.name}: tsx ${b.script} ${values.quick ? b.quick.join(' ') : ''}\n`);
    return;
  }
  if (selected.some((b) => b.build)) spawnSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });

  const parts = [
    `## Latest \`npm run bench\`${values.quick ? ' -- --quick' : ''} run`,
    '',
    'Written by `scripts/bench.mjs`; every figure below came from this run. No target here is a real Convex deployment.',
    '',
    describeMachine(),
  ];
  let failed = 0;
  for (const b of selected) {
    const args = ['--import', 'tsx', b.script, ...(values.quick ? b.quick : [])];
    process.stdout.write(`bench: ${b.name} (${b.script}${values.quick ? ' ' + b.quick.join(' ') : ''})\n`);
    const started = Date.now();
    const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: process.env });
    const seconds = Math.round((Date.now() - started) / 100) / 10;
    const output = cleanOutput(`${run.stdout ?? ''}${run.status === 0 ? '' : `\n${run.stderr ?? ''}`}`);
    if (run.status !== 0) failed += 1;
    process.stdout.write(`bench: ${b.name} ${run.status === 0 ? 'ok' : `FAILED (exit ${run.status ?? run.signal})`} in ${seconds} s\n`);
    parts.push(
      '',
      `### ${b.name}`,
      '',
      `\`npx tsx ${b.script}${values.quick ? ' ' + b.quick.join(' ') : ''}\` · Convex target: ${b.target} · ${seconds} s${run.status === 0 ? '' : ` · **failed (exit ${run.status ?? run.signal})**`}`,
      '',
      '```text',
      run.status === 0 ? output : output.split('\n').slice(-40).join('\n'),
      '```',
    );
  }
  fs.writeFileSync(BENCHMARKS_FILE, rewriteSection(fs.readFileSync(BENCHMARKS_FILE, 'utf8'), parts.join('\n')));
  process.stdout.write(`bench: ${selected.length - failed} ran, ${failed} failed; BENCHMARKS.md rewritten\n`);
  if (failed > 0) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
