/**
 * Peak resident memory of the `tandem` CLI, per command, as a user runs it:
 * the compiled CLI (`node bin/tandem.js …`, from `npm run build`) against the
 * same commands run from the TypeScript sources through tsx (`node --import tsx
 * src/cli/main.ts …`), the baseline, in the same run. Each variant gets a fresh
 * TANDEM_HOME (embedded PGlite) and its own free ports:
 *   demo --exit (default scale), then sample, init, capture install, plan,
 *   codegen --check, status, guard examples/story-site/src, --help.
 * Peak RSS is the kernel's maximum resident set size of the process
 * (/usr/bin/time's %M; without it, /proc/<pid>/status VmHWM polled every 20 ms).
 *
 *   npm run bench:cli-rss            (builds dist/ first)
 *   npx tsx bench/cliRss.ts [--limit-mib 300] [--only compiled]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    'limit-mib': { type: 'string', default: '300' },
    only: { type: 'string' },
  },
});
const LIMIT_MIB = Number(values['limit-mib']);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TIME = '/usr/bin/time';

interface Variant {
  name: string;
  /** node arguments before the CLI's own. */
  entry: string[];
}

const VARIANTS: Variant[] = [
  { name: 'compiled', entry: [path.join(root, 'bin/tandem.js')] },
  { name: 'tsx', entry: ['--import', 'tsx', path.join(root, 'src/cli/main.ts')] },
];

const COMMANDS: string[][] = [
  ['demo', '--exit'],
  ['sample', '--scale', '0.02'],
  ['init'],
  ['capture', 'install'],
  ['plan'],
  ['codegen', '--check'],
  ['status'],
  ['guard', 'examples/story-site/src'],
  ['--help'],
];

interface Measured {
  peakMiB: number;
  seconds: number;
  exitCode: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function vmHwmKiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function measure(args: string[], env: NodeJS.ProcessEnv, log: string): Promise<Measured> {
  const useTime = fs.existsSync(TIME);
  const command = useTime ? TIME : process.execPath;
  const argv = useTime ? ['-f', '%M', '-o', `${log}.rss`, process.execPath, ...args] : args;
  const started = performance.now();
  const out = fs.openSync(log, 'w');
  const child = spawn(command, argv, { cwd: root, env, stdio: ['ignore', out, out] });
  let polledKiB = 0;
  const poll = useTime
    ? undefined
    : setInterval(() => (polledKiB = Math.max(polledKiB, vmHwmKiB(child.pid!) ?? 0)), 20);
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
  if (poll) clearInterval(poll);
  fs.closeSync(out);
  const seconds = (performance.now() - started) / 1000;
  const kib = useTime
    ? Number(fs.readFileSync(`${log}.rss`, 'utf8').trim().split('\n').pop())
    : polledKiB;
  return { peakMiB: kib / 1024, seconds, exitCode };
}

async function runVariant(variant: Variant, logDir: string): Promise<Map<string, Measured>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `tandem-rss-${variant.name}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TANDEM_HOME: home,
    TANDEM_API_PORT: String(await freePort()),
    TANDEM_PG_PORT: String(await freePort()),
    TANDEM_CONVEX_PORT: String(await freePort()),
    TANDEM_LOG_LEVEL: 'warn',
    // The story site's config, as its team runs the CLI (guard and codegen need its tables).
    TANDEM_CONFIG: path.join(root, 'examples/story-site/tandem.config.json'),
  };
  delete env.DATABASE_URL;
  delete env.CONVEX_URL;
  const results = new Map<string, Measured>();
  try {
    for (const command of COMMANDS) {
      const label = command.join(' ');
      const log = path.join(logDir, `${variant.name}-${label.replace(/[^a-z0-9]+/gi, '_')}.log`);
      const measured = await measure([...variant.entry, ...command], env, log);
      results.set(label, measured);
      process.stderr.write(
        `${variant.name.padEnd(8)} ${label.padEnd(18)} ${measured.peakMiB.toFixed(0).padStart(5)} MiB ` +
          `${measured.seconds.toFixed(1).padStart(6)} s  exit ${measured.exitCode}\n`,
      );
    }
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  return results;
}

const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-rss-logs-'));
const variants = VARIANTS.filter((v) => !values.only || v.name === values.only);
const all = new Map<string, Map<string, Measured>>();
for (const variant of variants) all.set(variant.name, await runVariant(variant, logDir));

console.log(`\nPeak RSS of the tandem CLI (MiB) — ${new Date().toISOString()}`);
console.log(
  `${os.cpus().length} cores, ${(os.totalmem() / 1024 ** 3).toFixed(0)} GiB, node ${process.version}, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(`command logs: ${logDir}\n`);
const header = ['command', ...variants.map((v) => `${v.name} MiB (s)`)];
console.log(`| ${header.join(' | ')} |`);
console.log(`|${header.map(() => '---').join('|')}|`);
let failed = false;
for (const command of COMMANDS) {
  const label = command.join(' ');
  const cells = variants.map((v) => {
    const m = all.get(v.name)!.get(label)!;
    if (m.exitCode !== 0) failed = true;
    const over = v.name === 'compiled' && m.peakMiB > LIMIT_MIB ? ' **over**' : '';
    return `${m.peakMiB.toFixed(0)} (${m.seconds.toFixed(1)})${m.exitCode === 0 ? '' : ` exit ${m.exitCode}`}${over}`;
  });
  console.log(`| \`${label}\` | ${cells.join(' | ')} |`);
}
const compiled = all.get('compiled');
const worst = compiled ? Math.max(...[...compiled.values()].map((m) => m.peakMiB)) : 0;
if (compiled) console.log(`\ncompiled CLI peak: ${worst.toFixed(0)} MiB (limit ${LIMIT_MIB} MiB)`);
if (failed || worst > LIMIT_MIB) process.exitCode = 1;
