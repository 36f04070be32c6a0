/**
 * The `tandem` command line. Each command lives in its own module under
 * commands/ and only calls the library's public functions.
 *
 * Only the invoked command's module is loaded: some commands pull in heavy
 * dependencies (the TypeScript compiler for guard, inventory and codegen), and
 * every module loaded is resident memory for the whole run. Help, an unknown
 * command or no command loads them all, so commander can list and suggest.
 */
import { Command } from 'commander';
import { reportFatal, setConfigFileOption } from './context.js';

type CommandModule = { register(program: Command): void };

/** Top-level command name → its module, in the order `--help` lists them. */
const commandModules: Record<string, () => Promise<CommandModule>> = {
  guard: () => import('./commands/guard.js'),
  inventory: () => import('./commands/inventory.js'),
  serve: () => import('./commands/serve.js'),
  dev: () => import('./commands/dev.js'),
  demo: () => import('./commands/demo.js'),
  'convex-local': () => import('./commands/convexLocal.js'),
  relay: () => import('./commands/relay.js'),
  dlq: () => import('./commands/dlq.js'),
  sample: () => import('./commands/sample.js'),
  init: () => import('./commands/init.js'),
  capture: () => import('./commands/capture.js'),
  parity: () => import('./commands/parity.js'),
  invariants: () => import('./commands/invariants.js'),
  repair: () => import('./commands/repair.js'),
  backfill: () => import('./commands/backfill.js'),
  status: () => import('./commands/status.js'),
  plan: () => import('./commands/plan.js'),
  codegen: () => import('./commands/codegen.js'),
  checklist: () => import('./commands/phases.js'),
  advance: () => import('./commands/phases.js'),
  drill: () => import('./commands/phases.js'),
  freeze: () => import('./commands/phases.js'),
  unfreeze: () => import('./commands/phases.js'),
  archive: () => import('./commands/phases.js'),
  restore: () => import('./commands/phases.js'),
  decommission: () => import('./commands/phases.js'),
  flags: () => import('./commands/flags.js'),
  shadow: () => import('./commands/shadow.js'),
  dashboard: () => import('./commands/dashboard.js'),
};

/** The first argument that is not an option: top-level options take no values. */
function invokedCommand(args: readonly string[]): string | undefined {
  return args.find((arg) => !arg.startsWith('-'));
}

const program = new Command()
  .name('tandem')
  .description('Move tables from PostgreSQL to Convex with nothing lost')
  .version('0.1.0')
  .option(
    '--config <file>',
    'project config (default: $TANDEM_CONFIG, else tandem.config.{ts,mjs,json} in this directory)',
  )
  .showHelpAfterError()
  .hook('preAction', (_program, action) => {
    setConfigFileOption(action.optsWithGlobals<{ config?: string }>().config);
  });

const invoked = invokedCommand(process.argv.slice(2));
const loaders =
  invoked !== undefined && Object.hasOwn(commandModules, invoked)
    ? [commandModules[invoked]!]
    : Object.values(commandModules);

try {
  // Several commands share a module: register each module once.
  const modules = new Set(await Promise.all(loaders.map((load) => load())));
  for (const mod of modules) mod.register(program);
  await program.parseAsync(process.argv);
} catch (err) {
  reportFatal(err);
}
