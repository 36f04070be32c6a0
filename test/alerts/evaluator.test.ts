/**
 * The evaluator's alert life, as Prometheus defines it: pending until the
 * breach has lasted `for`, firing, kept firing for `keepFiringFor` after it
 * clears (a new breach cancels the countdown), then resolved; a pending alert
 * that clears never fires. Time is injected.
 */
import { describe, expect, it } from 'vitest';
import { AlertEvaluator, type AlertTransition } from '../../src/alerts/evaluator.js';
import { parseProjectConfig } from '../../src/config/projectConfig.js';
import { emptySnapshot, type TableSnapshot } from '../../src/alerts/snapshot.js';

const ONLY = (rules: Record<string, unknown>) => {
  const off = Object.fromEntries(
    ['mirrorFailureRate', 'lag', 'deadLetters', 'parityDrift', 'untrackedWrites', 'shadowDrift', 'stall', 'reverseSyncLag', 'reverseSyncDeadLetters'].map((c) => [
      c,
      { enabled: false },
    ]),
  );
  return parseProjectConfig({ alerts: { default: { ...off, ...rules } } }, null).alerts;
};
const lagOf = (table: string, lagSeconds: number, extra: Partial<TableSnapshot> = {}): TableSnapshot => ({
  ...emptySnapshot(table),
  lagSeconds,
  ...extra,
});
const states = (ts: AlertTransition[]) => ts.map((t) => `${t.table}:${t.rule}:${t.from}->${t.to}`);

describe('alert evaluator', () => {
  it('holds the reverse direction to rules of its own: reverse-sync lag and dead letters, per table', () => {
    const ev = new AlertEvaluator(
      ONLY({ reverseSyncLag: { threshold: 30, for: 0 }, reverseSyncDeadLetters: { threshold: 0, for: 0 } }),
    );
    // The mirror's own lag (rule off here) does not count for the reverse rule, and the other way round.
    const fired = ev.evaluate(
      [lagOf('film', 500, { reverseSyncLagSeconds: 31 }), lagOf('rental', 0, { reverseSyncDeadLetters: 2 })],
      0,
    );
    expect(states(fired)).toEqual(['film:reverseSyncLag:inactive->firing', 'rental:reverseSyncDeadLetters:inactive->firing']);
    expect(fired.map((t) => [t.severity, t.summary])).toEqual([
      ['warning', 'film: reverse-sync lag (s) 31 > 30'],
      ['critical', 'rental: unresolved reverse-sync dead letters 2 > 0'],
    ]);
    expect(states(ev.evaluate([lagOf('film', 500, { reverseSyncLagSeconds: 30 }), lagOf('rental', 0)], 1_000))).toEqual([
      'film:reverseSyncLag:firing->resolved',
      'rental:reverseSyncDeadLetters:firing->resolved',
    ]);
  });

  it('pending for `for`, then firing; kept firing for keepFiringFor after it clears, then resolved', () => {
    const ev = new AlertEvaluator(ONLY({ lag: { threshold: 60, for: '2m', keepFiringFor: '1m' } }));
    const s = 1_000_000;
    expect(states(ev.evaluate([lagOf('film', 30)], s))).toEqual([]);
    expect(states(ev.evaluate([lagOf('film', 61)], s + 10_000))).toEqual(['film:lag:inactive->pending']);
    expect(states(ev.evaluate([lagOf('film', 200)], s + 129_999))).toEqual([]);
    const fired = ev.evaluate([lagOf('film', 250)], s + 130_000);
    expect(states(fired)).toEqual(['film:lag:pending->firing']);
    expect(fired[0]).toMatchObject({ value: 250, threshold: 60, severity: 'warning', summary: 'film: mirror lag (s) 250 > 60' });
    expect(ev.active().map((a) => [a.table, a.rule, a.state, a.activeAt, a.firedAt])).toEqual([
      ['film', 'lag', 'firing', s + 10_000, s + 130_000],
    ]);
    // Clears: keeps firing for a minute.
    expect(states(ev.evaluate([lagOf('film', 0)], s + 140_000))).toEqual([]);
    expect(states(ev.evaluate([lagOf('film', 0)], s + 199_999))).toEqual([]);
    // A new breach inside the minute cancels the countdown.
    expect(states(ev.evaluate([lagOf('film', 90)], s + 150_000 + 50_000))).toEqual([]);
    expect(states(ev.evaluate([lagOf('film', 0)], s + 210_000))).toEqual([]);
    expect(states(ev.evaluate([lagOf('film', 0)], s + 269_999))).toEqual([]);
    expect(states(ev.evaluate([lagOf('film', 0)], s + 270_000))).toEqual(['film:lag:firing->resolved']);
    expect(ev.active()).toEqual([]);
  });

  it('a breach shorter than `for` never fires; `for` 0 fires at once and resolves at once without keepFiringFor', () => {
    const ev = new AlertEvaluator(ONLY({ lag: { threshold: 60, for: 60 }, deadLetters: { threshold: 0, for: 0 } }));
    expect(states(ev.evaluate([lagOf('film', 100, { deadLetters: 1 })], 0))).toEqual([
      'film:lag:inactive->pending',
      'film:deadLetters:inactive->firing',
    ]);
    expect(states(ev.evaluate([lagOf('film', 0, { deadLetters: 0 })], 59_000))).toEqual([
      'film:lag:pending->inactive',
      'film:deadLetters:firing->resolved',
    ]);
    expect(states(ev.evaluate([lagOf('film', 100)], 120_000))).toEqual(['film:lag:inactive->pending']);
  });

  it('each table has its own alert and its own rule', () => {
    const policy = parseProjectConfig(
      {
        alerts: {
          default: { lag: { threshold: 60, for: 0 } },
          tables: { rental: { lag: { threshold: 5, severity: 'critical' } } },
        },
      },
      null,
    ).alerts;
    const ev = new AlertEvaluator(policy);
    const fired = ev.evaluate([lagOf('film', 30), lagOf('rental', 30)], 0);
    expect(states(fired)).toEqual(['rental:lag:inactive->firing']);
    expect(fired[0]!.severity).toBe('critical');
  });

  it('rates count only with enough samples; stall needs both an old pending change and nothing applied', () => {
    const ev = new AlertEvaluator(
      ONLY({ mirrorFailureRate: { threshold: 0.1, for: 0, keepFiringFor: 0, minSamples: 20 }, stall: { threshold: 60, for: 0 } }),
    );
    const snap = (rate: number, samples: number, lag: number, sinceApplied: number | null) => ({
      ...emptySnapshot('film'),
      mirrorFailureRate: { value: rate, samples },
      lagSeconds: lag,
      secondsSinceApplied: sinceApplied,
    });
    expect(states(ev.evaluate([snap(0.5, 19, 120, 5)], 0))).toEqual([]);
    expect(states(ev.evaluate([snap(0.5, 20, 120, 61)], 1_000))).toEqual([
      'film:mirrorFailureRate:inactive->firing',
      'film:stall:inactive->firing',
    ]);
    expect(states(ev.evaluate([snap(0.05, 20, 120, 1)], 2_000))).toEqual([
      'film:mirrorFailureRate:firing->resolved',
      'film:stall:firing->resolved',
    ]);
    expect(states(ev.evaluate([snap(0, 0, 120, null)], 3_000))).toEqual(['film:stall:inactive->firing']);
  });

  it('a table that leaves the snapshot resolves its firing alerts; a restored firing alert does not fire again', () => {
    const policy = ONLY({ deadLetters: { threshold: 0, for: 0 } });
    const ev = new AlertEvaluator(policy);
    ev.evaluate([lagOf('film', 0, { deadLetters: 2 })], 0);
    expect(states(ev.evaluate([], 1_000))).toEqual(['film:deadLetters:firing->resolved']);

    const again = new AlertEvaluator(policy);
    again.restore([
      { rule: 'deadLetters', table: 'film', state: 'firing', severity: 'critical', value: 2, threshold: 0, activeAt: 0, firedAt: 0, keepFiringSince: null },
    ]);
    expect(states(again.evaluate([lagOf('film', 0, { deadLetters: 3 })], 5_000))).toEqual([]);
    expect(states(again.evaluate([lagOf('film', 0, { deadLetters: 0 })], 6_000))).toEqual(['film:deadLetters:firing->resolved']);
  });
});
