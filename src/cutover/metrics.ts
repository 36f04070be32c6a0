/**
 * Prometheus metrics of the read cutover, on the registry the rest of Tandem
 * uses (so one `/metrics` serves them all).
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { READ_STAGES } from './readStages.js';

export interface CutoverMetrics {
  registry: Registry;
  /** Reads served, by table and store. */
  reads: Counter<'table' | 'source'>;
  /** Convex reads that failed (served or shadow), by table. */
  convexReadErrors: Counter<'table'>;
  /** Shadow comparisons by table, mode (ab, aa) and class (match, lag, drift, error). */
  shadow: Counter<'table' | 'mode' | 'class'>;
  /** Reads at `shadow` served uncompared, by table and reason (budget: `shadow.maxPerSecond`; share: `shadow.maxShare`; busy: `shadow.maxInFlight`). */
  shadowSkipped: Counter<'table' | 'reason'>;
  /** Automatic rollbacks, by table and rule. */
  rollbacks: Counter<'table' | 'rule'>;
  /** Each table's stage as its rank (0 postgres … 4 convex). */
  stage: Gauge<'table'>;
  /** OpenFeature evaluations of read-stage flags, by flag and variant. */
  flagEvaluations: Counter<'flag' | 'variant'>;
}

export function createCutoverMetrics(registry: Registry = new Registry()): CutoverMetrics {
  return {
    registry,
    reads: new Counter({
      name: 'tandem_reads_total',
      help: 'Reads routed by Tandem, by table and the store that served them (postgres, convex)',
      labelNames: ['table', 'source'],
      registers: [registry],
    }),
    convexReadErrors: new Counter({
      name: 'tandem_convex_read_errors_total',
      help: 'Convex reads that failed or timed out (served and shadow), by table',
      labelNames: ['table'],
      registers: [registry],
    }),
    shadow: new Counter({
      name: 'tandem_shadow_reads_total',
      help: 'Shadow comparisons by table, mode (ab: Postgres vs Convex, aa: Postgres vs Postgres) and class (match, lag, drift, error)',
      labelNames: ['table', 'mode', 'class'],
      registers: [registry],
    }),
    shadowSkipped: new Counter({
      name: 'tandem_shadow_skipped_total',
      help: 'Reads at shadow served without a comparison, by table and reason (budget: over shadow.maxPerSecond; share: over shadow.maxShare of all reads; busy: shadow.maxInFlight comparisons under way)',
      labelNames: ['table', 'reason'],
      registers: [registry],
    }),
    rollbacks: new Counter({
      name: 'tandem_read_rollbacks_total',
      help: 'Tables set back to postgres by an automatic rollback rule',
      labelNames: ['table', 'rule'],
      registers: [registry],
    }),
    stage: new Gauge({
      name: 'tandem_read_stage',
      help: `Read stage per table as a rank: ${READ_STAGES.map((s, i) => `${i} ${s}`).join(', ')}`,
      labelNames: ['table'],
      registers: [registry],
    }),
    flagEvaluations: new Counter({
      name: 'tandem_read_flag_evaluations_total',
      help: 'OpenFeature evaluations of read-stage flags, by flag key and variant',
      labelNames: ['flag', 'variant'],
      registers: [registry],
    }),
  };
}
