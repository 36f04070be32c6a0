/**
 * Runs the built CLI (bin/tandem.js) as a child process in a folder against a
 * database, the way a user would, for tests that drive Tandem only through
 * its command line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(root, 'bin/tandem.js');
const run = promisify(execFile);

export interface CliFailure {
  code: number;
  stdout: string;
  stderr: string;
}

/** `tandem <args>` in `dir` on `databaseUrl`, with no inherited config file and no logs. */
export function runTandem(dir: string, databaseUrl: string, args: string[]) {
  return runCli(args, {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TANDEM_LOG_LEVEL: 'silent',
      TANDEM_CONFIG: '',
    },
  });
}

/** `tandem <args>` with the caller's folder and environment; `timeout` (ms) kills it if it runs on. */
function runCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number }) {
  return run(process.execPath, [CLI, ...args], options);
}

function expectRefused(running: Promise<unknown>): Promise<CliFailure> {
  return running.then(
    (ok) => {
      throw new Error(`expected a failure, got ${JSON.stringify(ok)}`);
    },
    (err: CliFailure) => err,
  );
}

/** `runTandem`, expected to fail: resolves with the exit code and output, throws if it succeeded. */
export function refusedTandem(dir: string, databaseUrl: string, args: string[]): Promise<CliFailure> {
  return expectRefused(runTandem(dir, databaseUrl, args));
}

/** `tandem <args>` with the caller's environment (a config file, say), expected to fail as refusedTandem is. */
export function refusedCli(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number }): Promise<CliFailure> {
  return expectRefused(runCli(args, options));
}

/**
 * Starts `tandem <args>` as a long-running child. `matched` resolves once its
 * stdout matches `pattern`, and rejects if it exits first (with its output, to
 * see why); the child is handed back at once, so a caller can kill it even
 * when the line never comes.
 */
export function startTandemUntil(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  pattern: RegExp,
): { child: ChildProcess; matched: Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [CLI, ...args], { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  const matched = new Promise<RegExpMatchArray>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const match = out.match(pattern);
      if (match) resolve(match);
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`exited ${code} before ${pattern}: ${out}${err}`)));
  });
  return { child, matched };
}

/** `tandem convex-local` on the app folder's `convex/`, on a free port: the child, and its CONVEX_URL once it serves. */
export function startConvexLocal(options: {
  cwd: string;
  env: NodeJS.ProcessEnv;
  adminKey: string;
  dataDir: string;
  /** Further options (e.g. fault injection: `--query-fail-rate 1`). */
  args?: string[];
}): { child: ChildProcess; url: Promise<string> } {
  const { child, matched } = startTandemUntil(
    ['convex-local', '--convex-dir', 'convex', '--port', '0', '--admin-key', options.adminKey, '--data-dir', options.dataDir, ...(options.args ?? [])],
    { cwd: options.cwd, env: options.env },
    /CONVEX_URL=(\S+)/,
  );
  return { child, url: matched.then((m) => m[1]!) };
}
