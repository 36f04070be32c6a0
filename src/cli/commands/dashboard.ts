/**
 * `tandem dashboard export --grafana [--out file]`: a Grafana dashboard over
 * Tandem's Prometheus metrics (docs/control-room-api.md, Grafana). It needs
 * no database: the dashboard is the same for every deployment, the data
 * source and tables being dashboard variables.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { grafanaDashboard, InvalidInputError } from '../../index.js';

export function register(program: Command): void {
  const dashboard = program.command('dashboard').description("Dashboards over Tandem's metrics");
  dashboard
    .command('export')
    .description('Write a dashboard for another tool (Grafana) to stdout or a file')
    .option('--grafana', 'a Grafana dashboard (JSON model) over the Prometheus metrics at /metrics')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--title <title>', 'the dashboard title')
    .option('--uid <uid>', 'the dashboard uid (default tandem-mirror)')
    .action((flags: { grafana?: boolean; out?: string; title?: string; uid?: string }) => {
      if (!flags.grafana)
        throw new InvalidInputError(
          '--grafana',
          'choose the format to export (only --grafana exists)',
        );
      const text = `${JSON.stringify(grafanaDashboard({ title: flags.title, uid: flags.uid }), null, 2)}\n`;
      if (flags.out === undefined) {
        process.stdout.write(text);
        return;
      }
      const file = path.resolve(flags.out);
      fs.writeFileSync(file, text);
      process.stderr.write(`tandem: Grafana dashboard written to ${file}\n`);
    });
}
