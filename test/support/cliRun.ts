/**
 * Runs the built CLI (bin/tandem.js) as a child process in a folder against a
 * database, the way a user would, for tests that drive Tandem only through
 * its command line.
 */
import { execFile } from 'node:child_process';
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
  return run(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TANDEM_LOG_LEVEL: 'silent',
      TANDEM_CONFIG: '',
    },
  });
}

/** The same, expected to fail: resolves with the exit code and output, throws if it succeeded. */
export function refusedTandem(
  dir: string,
  databaseUrl: string,
  args: string[],
): Promise<CliFailure> {
  return runTandem(dir, databaseUrl, args).then(
    (ok) => {
      throw new Error(`expected a failure, got ${JSON.stringify(ok)}`);
    },
    (err: CliFailure) => err,
  );
}
