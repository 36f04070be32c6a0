/**
 * Runs the rules on an interval inside a long-running process (the relay,
 * `serve`, `dev`, `demo`): read a snapshot per table, evaluate, record each
 * transition in the tool's schema, and tell the sinks about firing and
 * resolved alerts. A tick never overlaps the previous one, and a failed tick
 * (database down) is logged and retried at the next interval, so alerting can
 * never stop the process it runs in.
 */
import type pg from 'pg';
import type { Logger } from '../log.js';
import { AlertEvaluator, type AlertTransition } from './evaluator.js';
import { activeInstances, recordTransition, type RaisedAlert } from './history.js';
import { checkPolicyTables, type AlertPolicy, type AlertSeverity } from './rules.js';
import type { AlertNotification, AlertSink } from './sinks.js';
import { PostgresSnapshotSource, type AlertSnapshotSource, type PostgresSnapshotOptions } from './snapshot.js';
import type { ToolSchema } from '../core/toolSchema.js';

export interface AlertMonitorOptions {
  /** Tandem's own schema (the project config's toolSchema). */
  tool: ToolSchema;
  pool: pg.Pool;
  policy: AlertPolicy;
  /** The mirrored tables, asked at every tick (discovery may change them). */
  tables: () => readonly string[];
  /** Default: the tool's schema (PostgresSnapshotSource). */
  source?: AlertSnapshotSource;
  /** Reverse-sync lag per table, for the default source (PostgresSnapshotOptions.reverseSyncLag). */
  reverseSyncLag?: PostgresSnapshotOptions['reverseSyncLag'];
  sinks: readonly AlertSink[];
  log: Logger;
  now?: () => number;
}

export interface AlertTick {
  transitions: AlertTransition[];
  /** Those that changed the shared state (the others another process had already recorded). */
  recorded: AlertTransition[];
}

export class AlertMonitor {
  private readonly evaluator: AlertEvaluator;
  private readonly source: AlertSnapshotSource;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<unknown> | undefined;
  private restored = false;

  constructor(private readonly options: AlertMonitorOptions) {
    checkPolicyTables(options.policy, options.tables());
    this.now = options.now ?? Date.now;
    this.evaluator = new AlertEvaluator(options.policy);
    const lookback = Math.max(...Object.values(options.policy.tables).concat(options.policy.default).map((r) => r.stall.threshold)) * 2;
    this.source =
      options.source ??
      new PostgresSnapshotSource(options.pool, {
        tool: options.tool,
        windowSeconds: options.policy.windowSeconds,
        appliedLookbackSeconds: Math.ceil(Math.max(lookback, 60)),
        now: this.now,
        reverseSyncLag: options.reverseSyncLag,
      });
  }

  /** Alerts pending or firing as this process last evaluated them. */
  get activeCount(): number {
    return this.evaluator.active().length;
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.ticking ??= this.tick()
        .catch((err: unknown) => this.options.log.warn({ err: (err as Error).message }, 'alert rules not evaluated'))
        .finally(() => (this.ticking = undefined));
    }, this.options.policy.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.ticking;
    await Promise.all(this.options.sinks.map((s) => s.close()));
  }

  /** One evaluation of every rule. */
  async tick(): Promise<AlertTick> {
    if (!this.restored) {
      this.evaluator.restore(await activeInstances(this.options.pool, this.options.tool));
      this.restored = true;
    }
    const snapshots = await this.source.read(this.options.tables());
    const transitions = this.evaluator.evaluate(snapshots, this.now());
    const recorded: AlertTransition[] = [];
    for (const t of transitions) {
      if (!(await recordTransition(this.options.pool, this.options.tool, t))) continue;
      recorded.push(t);
      if (t.to === 'firing' || (t.to === 'resolved' && t.from === 'firing')) this.notify({ ...t, state: t.to, at: new Date(t.at) });
    }
    return { transitions, recorded };
  }

  /**
   * An alert raised by another part of Tandem (the automatic read rollback):
   * recorded in the history and sent to the sinks at once, as a one-off event.
   */
  async raise(alert: { rule: string; table: string; severity: AlertSeverity; value: number; threshold: number; summary: string }): Promise<void> {
    const raised: RaisedAlert = { raised: true, at: this.now(), ...alert };
    await recordTransition(this.options.pool, this.options.tool, raised);
    this.notify({ ...alert, state: 'firing', at: new Date(raised.at) });
  }

  private notify(n: AlertNotification): void {
    for (const sink of this.options.sinks) {
      try {
        sink.send(n);
      } catch (err) {
        this.options.log.warn({ sink: sink.name, err: (err as Error).message }, 'alert sink failed');
      }
    }
  }
}
