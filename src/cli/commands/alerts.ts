/**
 * `tandem alerts list [--json]`: every mirrored table's alert rules and the
 * alerts pending or firing now, with recent transitions.
 * `tandem alerts export --prometheus [--out file]`: the same rules as a
 * Prometheus alerting rules file (stdout unless --out).
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import {
  ALERT_CONDITIONS,
  checkPolicyTables,
  currentAlerts,
  InvalidInputError,
  listAlertHistory,
  promDuration,
  prometheusRulesYaml,
  requireSchema,
  rulesForTable,
} from '../../index.js';
import { commandContext, discover, withDatabase } from '../context.js';
import { wholeNumber } from '../optionParsers.js';

export function register(program: Command): void {
  const alerts = program.command('alerts').description('Alert rules: their state, and export as Prometheus rules');

  alerts
    .command('list')
    .description('the rules of every mirrored table, alerts pending or firing now, and recent transitions')
    .option('--history <n>', 'recent transitions to show', wholeNumber(), 10)
    .option('--json', 'print JSON')
    .action(async (flags: { history: number; json?: boolean }) => {
      const ctx = await commandContext();
      const result = await withDatabase(ctx, async (db) => {
        await requireSchema(db.pool, ctx.tool);
        const tables = (await discover(ctx, db)).mirror.tables.map((t) => t.name);
        checkPolicyTables(ctx.project.alerts, tables);
        return {
          rules: Object.fromEntries(tables.map((t) => [t, rulesForTable(ctx.project.alerts, t)])),
          current: await currentAlerts(db.pool, ctx.tool),
          history: flags.history > 0 ? await listAlertHistory(db.pool, ctx.tool, { limit: flags.history }) : [],
        };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
        return;
      }
      const out: string[] = ['rules (threshold, for, keepFiringFor, severity):'];
      for (const [table, rules] of Object.entries(result.rules)) {
        const parts = ALERT_CONDITIONS.map((c) => rules[c]).map((r) =>
          r.enabled
            ? `${r.condition} >${r.threshold} for ${promDuration(r.forMs)} keep ${promDuration(r.keepFiringForMs)} ${r.severity}`
            : `${r.condition} off`,
        );
        out.push(`  ${table}: ${parts.join('; ')}`);
      }
      out.push(result.current.length ? 'current:' : 'current: no alert pending or firing');
      for (const a of result.current)
        out.push(`  ${a.state.toUpperCase()}\t${a.severity}\t${a.table}\t${a.rule}\t${a.summary}\tsince ${(a.firedAt ?? a.activeAt)?.toISOString() ?? '?'}`);
      if (result.history.length) out.push('recent:');
      for (const e of result.history) out.push(`  ${e.at.toISOString()}\t${e.table}\t${e.rule}\t${e.from} -> ${e.to}\t${e.summary}`);
      process.stdout.write(`${out.join('\n')}\n`);
    });

  alerts
    .command('export')
    .description('write the alert rules in another system\'s format')
    .option('--prometheus', 'as a Prometheus alerting rules file (YAML)')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (flags: { prometheus?: boolean; out?: string }) => {
      if (!flags.prometheus) throw new InvalidInputError('format', 'choose one: --prometheus');
      const ctx = await commandContext();
      const text = prometheusRulesYaml(ctx.project.alerts);
      if (flags.out) {
        fs.writeFileSync(flags.out, text);
        process.stdout.write(`wrote ${flags.out}\n`);
      } else process.stdout.write(text);
    });
}
