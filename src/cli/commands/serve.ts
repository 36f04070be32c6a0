/**
 * `tandem serve`: the story site's HTTP API over the configured database, until
 * SIGINT or SIGTERM; then the server stops taking requests, finishes the ones in
 * flight, and the database is closed.
 *
 * User display names (for course contributor lists) come from the
 * SampleUserDirectory, which names users by the sample generator's rule. A real
 * deployment plugs its own UserDirectory (backed by its auth system) in here.
 */
import type { AddressInfo } from 'node:net';
import { InvalidArgumentError, type Command } from 'commander';
import { createApiServer } from '../../api/server.js';
import type { AppDeps } from '../../app/ports.js';
import { PostgresReadPaths } from '../../app/reads/postgres.js';
import { TransactionRunner } from '../../app/transactionRunner.js';
import { SampleUserDirectory } from '../../app/userDirectory.js';
import { commandContext, withDatabase } from '../context.js';

function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('not a TCP port');
  return port;
}

function nextStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function register(program: Command): void {
  program
    .command('serve')
    .description(
      'Serve the story site API (read and write paths, OpenAPI at /api/openapi.json) until stopped',
    )
    .option('--port <port>', 'TCP port (default TANDEM_API_PORT or 4000)', parsePort)
    .option('--host <host>', 'interface to listen on (default TANDEM_HOST or 127.0.0.1)')
    .action(async (opts: { port?: number; host?: string }) => {
      const ctx = commandContext();
      const stopped = nextStopSignal();
      await withDatabase(ctx, async (db) => {
        const deps: AppDeps = {
          pool: db.pool,
          runner: new TransactionRunner(db.pool),
          users: new SampleUserDirectory(),
        };
        const app = createApiServer({
          deps,
          reads: new PostgresReadPaths(db.pool),
          tokens: ctx.config.apiTokens,
          logger: ctx.log,
        });
        try {
          await app.listen({
            port: opts.port ?? ctx.config.apiPort,
            host: opts.host ?? ctx.config.host,
          });
          const address = app.server.address() as AddressInfo;
          process.stdout.write(
            `tandem: API on http://${address.address}:${address.port} (database: ${db.describe})\n`,
          );
          const signal = await stopped;
          ctx.log.info({ signal }, 'stopping API server');
        } finally {
          await app.close();
        }
      });
    });
}
