/**
 * The in-process rule evaluator: Prometheus's alert life per (rule, table).
 *
 *   inactive ──breach──▶ pending ──breach lasted `for`──▶ firing
 *   pending ──clear──▶ inactive (never fired: nobody is told)
 *   firing ──clear, then `keepFiringFor` passes without a new breach──▶ resolved
 *
 * A rule with `for` 0 fires on its first breached evaluation, and a breach
 * while keeping firing cancels the countdown, as in Prometheus. Time comes
 * from the caller (`now`), so tests cross minutes without waiting. Pure: it
 * neither reads nor writes anything; monitor.ts feeds it and records what
 * it returns.
 */
import { ALERT_CONDITIONS, rulesForTable, type AlertCondition, type AlertPolicy, type AlertRule, type AlertSeverity } from './rules.js';
import type { TableSnapshot } from './snapshot.js';

export type AlertState = 'inactive' | 'pending' | 'firing' | 'resolved';

export interface AlertInstance {
  rule: AlertCondition;
  table: string;
  state: AlertState;
  severity: AlertSeverity;
  /** The value last seen and the threshold it is compared with. */
  value: number;
  threshold: number;
  /** When the current breach began (pending or firing). */
  activeAt: number | null;
  firedAt: number | null;
  /** When the breach cleared while firing (keepFiringFor counts from here). */
  keepFiringSince: number | null;
}

export interface AlertTransition {
  rule: AlertCondition;
  table: string;
  from: AlertState;
  to: AlertState;
  at: number;
  severity: AlertSeverity;
  value: number;
  threshold: number;
  summary: string;
}

/** Whether a table's snapshot breaches a rule, and the value compared. */
export function observe(rule: AlertRule, snapshot: TableSnapshot): { value: number; breached: boolean } {
  const over = (value: number) => ({ value, breached: value > rule.threshold });
  switch (rule.condition) {
    case 'mirrorFailureRate':
    case 'shadowDrift': {
      const { value, samples } = rule.condition === 'mirrorFailureRate' ? snapshot.mirrorFailureRate : snapshot.shadowDriftRate;
      return { value, breached: value > rule.threshold && samples >= rule.minSamples };
    }
    case 'lag':
      return over(snapshot.lagSeconds);
    case 'deadLetters':
      return over(snapshot.deadLetters);
    case 'parityDrift':
      return over(snapshot.parityDrift);
    case 'untrackedWrites':
      return over(snapshot.untrackedWrites);
    case 'reverseSyncLag':
      return over(snapshot.reverseSyncLagSeconds);
    case 'reverseSyncDeadLetters':
      return over(snapshot.reverseSyncDeadLetters);
    case 'stall': {
      // Stalled: the oldest pending change is older than the threshold and
      // nothing of the table was applied for as long.
      const idle = snapshot.secondsSinceApplied === null || snapshot.secondsSinceApplied > rule.threshold;
      return { value: snapshot.lagSeconds, breached: snapshot.lagSeconds > rule.threshold && idle };
    }
  }
}

const DESCRIPTION: Record<AlertCondition, string> = {
  mirrorFailureRate: 'mirror failure rate',
  lag: 'mirror lag (s)',
  deadLetters: 'unresolved dead letters',
  parityDrift: 'parity drift keys',
  untrackedWrites: 'untracked writes',
  shadowDrift: 'shadow drift rate',
  stall: 'stalled for (s)',
  reverseSyncLag: 'reverse-sync lag (s)',
  reverseSyncDeadLetters: 'unresolved reverse-sync dead letters',
};

export function alertSummary(rule: AlertCondition, table: string, value: number, threshold: number): string {
  return `${table}: ${DESCRIPTION[rule]} ${Math.round(value * 1000) / 1000} > ${threshold}`;
}

export class AlertEvaluator {
  private readonly instances = new Map<string, AlertInstance>();

  constructor(private readonly policy: AlertPolicy) {}

  /** Alerts pending or firing now. */
  active(): AlertInstance[] {
    return [...this.instances.values()].filter((i) => i.state === 'pending' || i.state === 'firing').map((i) => ({ ...i }));
  }

  /** Takes up alerts another process (or an earlier run) left pending or firing, so a restart does not fire them again. */
  restore(instances: readonly AlertInstance[]): void {
    for (const i of instances) if (i.state === 'pending' || i.state === 'firing') this.instances.set(keyOf(i.rule, i.table), { ...i });
  }

  /** One evaluation of every enabled rule of every table in the snapshot; returns the state changes. */
  evaluate(snapshots: readonly TableSnapshot[], now: number): AlertTransition[] {
    const transitions: AlertTransition[] = [];
    const seen = new Set<string>();
    for (const snapshot of snapshots) {
      const rules = rulesForTable(this.policy, snapshot.table);
      for (const condition of ALERT_CONDITIONS) {
        const rule = rules[condition];
        if (!rule.enabled) continue;
        const key = keyOf(condition, snapshot.table);
        seen.add(key);
        const { value, breached } = observe(rule, snapshot);
        const next = this.step(key, rule, snapshot.table, value, breached, now);
        if (next) transitions.push(next);
      }
    }
    // A rule switched off or a table gone: its alert ends (resolved if it fired).
    for (const [key, instance] of this.instances) {
      if (seen.has(key)) continue;
      this.instances.delete(key);
      if (instance.state === 'firing') transitions.push(transition(instance, 'firing', 'resolved', now));
    }
    return transitions;
  }

  private step(key: string, rule: AlertRule, table: string, value: number, breached: boolean, now: number): AlertTransition | null {
    const current = this.instances.get(key);
    if (breached) {
      if (!current || current.state === 'resolved' || current.state === 'inactive') {
        const instance: AlertInstance = {
          rule: rule.condition,
          table,
          state: 'pending',
          severity: rule.severity,
          value,
          threshold: rule.threshold,
          activeAt: now,
          firedAt: null,
          keepFiringSince: null,
        };
        this.instances.set(key, instance);
        if (rule.forMs === 0) return this.fire(instance, 'inactive', now);
        return transition(instance, 'inactive', 'pending', now);
      }
      current.value = value;
      current.threshold = rule.threshold;
      current.severity = rule.severity;
      current.keepFiringSince = null;
      if (current.state === 'pending' && now - current.activeAt! >= rule.forMs) return this.fire(current, 'pending', now);
      return null;
    }
    if (!current) return null;
    current.value = value;
    if (current.state === 'pending') {
      this.instances.delete(key);
      return transition(current, 'pending', 'inactive', now);
    }
    // Firing and clear: keep firing for keepFiringFor, then resolve.
    current.keepFiringSince ??= now;
    if (now - current.keepFiringSince < rule.keepFiringForMs) return null;
    this.instances.delete(key);
    return transition(current, 'firing', 'resolved', now);
  }

  private fire(instance: AlertInstance, from: AlertState, now: number): AlertTransition {
    instance.state = 'firing';
    instance.firedAt = now;
    return transition(instance, from, 'firing', now);
  }
}

function keyOf(rule: string, table: string): string {
  return `${rule}\u0000${table}`;
}

function transition(instance: AlertInstance, from: AlertState, to: AlertState, now: number): AlertTransition {
  return {
    rule: instance.rule,
    table: instance.table,
    from,
    to,
    at: now,
    severity: instance.severity,
    value: instance.value,
    threshold: instance.threshold,
    summary: alertSummary(instance.rule, instance.table, instance.value, instance.threshold),
  };
}
