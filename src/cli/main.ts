/**
 * The `tandem` command line. Each command lives in its own module under
 * commands/ and only calls the library's public functions.
 */
import { Command } from 'commander';
import { reportFatal, setConfigFileOption } from './context.js';

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

const commandModules = [
  import('./commands/guard.js'),
  import('./commands/inventory.js'),
  import('./commands/serve.js'),
  import('./commands/dev.js'),
  import('./commands/demo.js'),
  import('./commands/convexLocal.js'),
  import('./commands/relay.js'),
  import('./commands/dlq.js'),
  import('./commands/sample.js'),
  import('./commands/init.js'),
  import('./commands/capture.js'),
  import('./commands/parity.js'),
  import('./commands/invariants.js'),
  import('./commands/repair.js'),
  import('./commands/backfill.js'),
  import('./commands/status.js'),
  import('./commands/plan.js'),
  import('./commands/codegen.js'),
] as Array<Promise<{ register(program: Command): void }>>;

for (const mod of await Promise.all(commandModules)) mod.register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportFatal(err);
}
