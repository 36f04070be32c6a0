/**
 * The compiled CLI loads only the invoked command's module (src/cli/main.ts);
 * help and a mistyped command still see every command.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'bin/tandem.js');

const COMMANDS = [
  'guard',
  'inventory',
  'serve',
  'dev',
  'demo',
  'convex-local',
  'relay',
  'dlq',
  'sample',
  'init',
  'capture',
  'parity',
  'invariants',
  'repair',
  'backfill',
  'status',
  'plan',
  'codegen',
  'checklist',
  'advance',
  'drill',
  'freeze',
  'unfreeze',
  'archive',
  'restore',
  'decommission',
  'flags',
  'shadow',
  'dashboard',
];

function commandsListed(help: string): string[] {
  const section = help.split('Commands:')[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z-]+)/gm)].map((m) => m[1]!);
}

describe('command loading in the compiled CLI', () => {
  it('`--help` lists every command, in order', async () => {
    const { stdout } = await run(process.execPath, [cli, '--help'], { cwd: root });
    expect(commandsListed(stdout)).toEqual([...COMMANDS, 'help']);
  });

  it("runs a command without loading the other commands' heavy dependencies", async () => {
    // Reports, at exit, which CommonJS heavyweights the process loaded.
    const probe = `data:text/javascript,${encodeURIComponent(`
      import { createRequire } from 'node:module';
      const cache = createRequire('/').cache;
      process.on('exit', () => process.stderr.write('LOADED ' + JSON.stringify(Object.keys(cache)
        .filter((f) => /node_modules.(typescript|prettier).lib/.test(f)).length) + '\\n'));`)}`;
    const loaded = async (args: string[]) => {
      const { stdout, stderr } = await run(process.execPath, ['--import', probe, cli, ...args], {
        cwd: root,
      });
      return { stdout, loaded: /LOADED (\d+)/.exec(stderr)?.[1] };
    };
    const capture = await loaded(['capture', '--help']);
    expect(commandsListed(capture.stdout)).toEqual(['install', 'uninstall', 'status', 'help']);
    expect(capture.loaded).toBe('0');
    expect((await loaded(['guard', '--help'])).loaded).not.toBe('0');
  });

  it('a mistyped command is refused with a suggestion from all commands', async () => {
    const failure = await run(process.execPath, [cli, 'captrue'], { cwd: root }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain("error: unknown command 'captrue'");
    expect(failure?.stderr).toContain('(Did you mean capture?)');
  });
});
