/**
 * `tandem alerts export --prometheus`: the rules as a Prometheus rules file,
 * checked against the file format (prometheusRulesFormat.ts) with every
 * expression parsed by Prometheus's PromQL grammar; per-table rules replace
 * the default for their table only. Runs on the film-rental schema's tables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { prometheusRules, prometheusRulesYaml, promDuration } from '../../src/alerts/prometheusRules.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { promqlErrors, prometheusRulesFileSchema } from './prometheusRulesFormat.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ALERTS = {
  windowSeconds: 120,
  default: { lag: { threshold: 60, for: '2m', keepFiringFor: '90s' }, untrackedWrites: { enabled: false } },
  tables: {
    rental: { lag: { threshold: 5, severity: 'critical' }, stall: { enabled: false } },
    payment: { untrackedWrites: { enabled: true, threshold: 10 } },
  },
};
const policy = parseProjectConfig({ alerts: ALERTS }, null).alerts;

describe('the format check itself', () => {
  it('refuses what Prometheus would refuse', () => {
    const bad = (rule: Record<string, unknown>) =>
      prometheusRulesFileSchema.safeParse({ groups: [{ name: 'g', rules: [rule] }] }).success;
    expect(bad({ alert: 'A', expr: 'up == 0' })).toBe(true);
    expect(bad({ alert: 'A', expr: 'rate(up[5m]' })).toBe(false);
    expect(bad({ alert: 'A', expr: 'up == 0', for: '5 minutes' })).toBe(false);
    expect(bad({ alert: 'A', expr: 'up == 0', labels: { __x: 'y' } })).toBe(false);
    expect(bad({ alert: 'A', expr: 'up == 0', severity: 'page' })).toBe(false);
    expect(bad({ record: 'a:b', expr: 'sum(up)', for: '1m' })).toBe(false);
    expect(promqlErrors('max by (table) (x{table!~"a|b"}) > 1 unless on (table) y > 0')).toEqual([]);
  });
});

describe('Prometheus export', () => {
  it('is a valid rules file whose every expression parses as PromQL', () => {
    const file = parse(prometheusRulesYaml(policy)) as unknown;
    const checked = prometheusRulesFileSchema.safeParse(file);
    expect(checked.success, JSON.stringify(checked.error?.issues)).toBe(true);
    expect(file).toEqual(prometheusRules(policy));
  });

  it('holds each table to exactly one rule per condition, with the configured for and keep_firing_for', () => {
    const rules = prometheusRules(policy).groups[0]!.rules;
    const byAlert = (name: string) => rules.filter((r) => r.alert === name);
    expect(rules.map((r) => `${r.alert}:${/table(!~|=)"[^"]*"/.exec(r.expr)?.[0] ?? 'all'}`)).toEqual([
      'TandemMirrorFailureRate:all',
      'TandemMirrorLag:table!~"rental"',
      'TandemMirrorLag:table="rental"',
      'TandemDeadLetters:all',
      'TandemParityDrift:all',
      'TandemUntrackedWrites:table="payment"',
      'TandemShadowDrift:all',
      'TandemMirrorStalled:table!~"rental"',
      'TandemReverseSyncLag:all',
      'TandemReverseSyncDeadLetters:all',
    ]);
    expect(byAlert('TandemReverseSyncLag').map((r) => [r.expr, r.for, r.labels.severity])).toEqual([
      ['max by (table) (tandem_reverse_sync_table_lag_seconds) > 300', '5m', 'warning'],
    ]);
    expect(byAlert('TandemReverseSyncDeadLetters').map((r) => [r.expr, r.for, r.labels.severity])).toEqual([
      ['max by (table) (tandem_reverse_sync_dead_letters_unresolved) > 0', undefined, 'critical'],
    ]);
    expect(byAlert('TandemMirrorLag')).toEqual([
      {
        alert: 'TandemMirrorLag',
        expr: 'max by (table) (tandem_table_outbox_oldest_pending_seconds{table!~"rental"}) > 60',
        for: '2m',
        keep_firing_for: '1m30s',
        labels: { severity: 'warning', tandem_rule: 'lag' },
        annotations: {
          summary: '{{ $labels.table }}: oldest change not yet applied to Convex (seconds) is {{ $value }} (threshold 60)',
          description: 'Tandem alert rule lag (default); see docs/alerts.md.',
        },
      },
      {
        alert: 'TandemMirrorLag',
        expr: 'max by (table) (tandem_table_outbox_oldest_pending_seconds{table="rental"}) > 5',
        for: '2m',
        keep_firing_for: '1m30s',
        labels: { severity: 'critical', tandem_rule: 'lag' },
        annotations: {
          summary: '{{ $labels.table }}: oldest change not yet applied to Convex (seconds) is {{ $value }} (threshold 5)',
          description: 'Tandem alert rule lag (table rental); see docs/alerts.md.',
        },
      },
    ]);
    expect(byAlert('TandemMirrorFailureRate')[0]!.expr).toBe(
      '(sum by (table) (rate(tandem_mirror_events_total{outcome=~"failed|dead"}[2m])) / sum by (table) (rate(tandem_mirror_events_total[2m]))) > 0.05' +
        ' and on (table) sum by (table) (increase(tandem_mirror_events_total[2m])) >= 10',
    );
    expect(byAlert('TandemMirrorStalled')[0]!.expr).toBe(
      'max by (table) (tandem_table_outbox_oldest_pending_seconds{table!~"rental"}) > 120' +
        ' unless on (table) sum by (table) (increase(tandem_mirror_events_total{outcome="applied", table!~"rental"}[2m])) > 0',
    );
    expect(byAlert('TandemDeadLetters')[0]).not.toHaveProperty('for');
  });

  it('writes durations as Prometheus does', () => {
    expect([0, 250, 1000, 90_000, 3_600_000, 5_400_500].map(promDuration)).toEqual(['0s', '250ms', '1s', '1m30s', '1h', '1h30m500ms']);
  });

  it('`tandem alerts export --prometheus --out` writes the file from the project config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-alerts-'));
    fs.writeFileSync(path.join(dir, 'tandem.config.json'), JSON.stringify({ alerts: ALERTS }));
    const out = path.join(dir, 'rules.yml');
    const env = { ...process.env, TANDEM_LOG_LEVEL: 'silent', TANDEM_CONFIG: '' };
    const { stdout } = await run(process.execPath, [path.join(root, 'bin/tandem.js'), 'alerts', 'export', '--prometheus', '--out', out], { cwd: dir, env });
    expect(stdout).toBe(`wrote ${out}\n`);
    expect(fs.readFileSync(out, 'utf8')).toBe(prometheusRulesYaml(policy));
    // A malformed rule: the error names the rule and key, and nothing is written.
    fs.writeFileSync(path.join(dir, 'tandem.config.json'), JSON.stringify({ alerts: { tables: { rental: { lag: { for: 'soon' } } } } }));
    fs.rmSync(out);
    const failed = await run(process.execPath, [path.join(root, 'bin/tandem.js'), 'alerts', 'export', '--prometheus', '--out', out], { cwd: dir, env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toBe(
      `tandem: ${path.join(dir, 'tandem.config.json')}: alerts.tables.rental.lag.for: must be a duration such as 500ms, 30s, 2m or 1h\n`,
    );
    expect(fs.existsSync(out)).toBe(false);
    // No format chosen: a plain message and exit 2, not a stack trace.
    const noFormat = await run(process.execPath, [path.join(root, 'bin/tandem.js'), 'alerts', 'export', '--out', out], { cwd: dir, env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(noFormat?.code).toBe(2);
    expect(noFormat?.stderr).toBe('tandem: format: choose one: --prometheus\n');
    expect(fs.existsSync(out)).toBe(false);
  });
});
