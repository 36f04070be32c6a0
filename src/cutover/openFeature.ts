/**
 * An OpenFeature provider (official Node server SDK) for the read stages, so
 * an application that already evaluates its flags through OpenFeature reads
 * stages the same way. Flag key `tandem.read.<table>` (several tables joined
 * with `+` give one decision at the most conservative stage); targeting key =
 * the user id; an `internal: true` context attribute marks internal users.
 *
 * - string flag: `'postgres'` or `'convex'`, the store that serves this user
 *   (a shadow-stage table answers `'postgres'`); the variant is the stage;
 * - boolean flag: whether Convex serves this user;
 * - object flag: `{ source, stage, percent, shadow }`.
 * The flag metadata carries stage and percent. Resolution is in memory (a
 * ReadFlags client), so it never waits on the database.
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  ProviderEvents,
  StandardResolutionReasons,
  type EvaluationContext,
  type Hook,
  type JsonValue,
  type Provider,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { decideRead, type ReadDecision, type TableStage } from './decide.js';
import type { CutoverMetrics } from './metrics.js';
import type { StageChangeEvent } from './readFlags.js';
import { mostConservative } from './readStages.js';

export const READ_FLAG_PREFIX = 'tandem.read.';

export interface ReadStageProviderOptions {
  /** Counts evaluations by flag and variant (a provider hook). */
  metrics?: CutoverMetrics;
  /** Whether the evaluation context is an internal user (default: `context.internal === true`). */
  isInternal?: (context: EvaluationContext) => boolean;
}

export interface StageFlags {
  stageOf(table: string): TableStage;
  onChange?(listener: (changes: StageChangeEvent[]) => void): () => void;
}

interface Evaluation {
  decision: ReadDecision;
  stages: TableStage[];
}

/** A hook that counts read-stage evaluations by flag key and variant. */
export function readStageMetricsHook(metrics: CutoverMetrics): Hook {
  return {
    after(hookContext, details) {
      metrics.flagEvaluations.inc({ flag: hookContext.flagKey, variant: details.variant ?? 'none' });
    },
    error(hookContext) {
      metrics.flagEvaluations.inc({ flag: hookContext.flagKey, variant: 'error' });
    },
  };
}

export class ReadStageProvider implements Provider {
  readonly metadata = { name: 'tandem-read-stages' } as const;
  readonly runsOn = 'server' as const;
  readonly hooks: Hook[];
  readonly events = new OpenFeatureEventEmitter();
  private readonly unsubscribe: (() => void) | undefined;

  constructor(
    private readonly flags: StageFlags,
    private readonly options: ReadStageProviderOptions = {},
  ) {
    this.hooks = options.metrics ? [readStageMetricsHook(options.metrics)] : [];
    this.unsubscribe = flags.onChange?.((changes) =>
      this.events.emit(ProviderEvents.ConfigurationChanged, {
        flagsChanged: changes.map((c) => `${READ_FLAG_PREFIX}${c.table}`),
      }),
    );
  }

  private evaluate(flagKey: string, context: EvaluationContext): Evaluation | null {
    if (!flagKey.startsWith(READ_FLAG_PREFIX)) return null;
    const tables = flagKey.slice(READ_FLAG_PREFIX.length).split('+').filter(Boolean);
    if (tables.length === 0) return null;
    const stages = tables.map((t) => this.flags.stageOf(t));
    const internal = this.options.isInternal ? this.options.isInternal(context) : context.internal === true;
    return { decision: decideRead(stages, { id: context.targetingKey, internal }), stages };
  }

  private details<T>(evaluation: Evaluation, value: T): ResolutionDetails<T> {
    const stage = mostConservative(evaluation.stages.map((s) => s.stage));
    const percent = Math.min(...evaluation.stages.map((s) => s.percent));
    return {
      value,
      variant: stage,
      reason: stage === 'convex-percent' ? StandardResolutionReasons.SPLIT : StandardResolutionReasons.TARGETING_MATCH,
      flagMetadata: { stage, percent, shadow: evaluation.decision === 'shadow' },
    };
  }

  private notFound<T>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
      errorMessage: `${flagKey} is not a read-stage flag (${READ_FLAG_PREFIX}<table>)`,
    };
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext): Promise<ResolutionDetails<string>> {
    const e = this.evaluate(flagKey, context);
    return e ? this.details(e, e.decision === 'convex' ? 'convex' : 'postgres') : this.notFound(flagKey, defaultValue);
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    const e = this.evaluate(flagKey, context);
    return e ? this.details(e, e.decision === 'convex') : this.notFound(flagKey, defaultValue);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return {
      value: defaultValue,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
      errorMessage: `${flagKey}: read stages are string, boolean or object flags`,
    };
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext): Promise<ResolutionDetails<T>> {
    const e = this.evaluate(flagKey, context);
    if (!e) return this.notFound(flagKey, defaultValue);
    const d = this.details(e, null);
    return {
      ...d,
      value: { source: e.decision === 'convex' ? 'convex' : 'postgres', ...d.flagMetadata } as unknown as T,
    };
  }

  async onClose(): Promise<void> {
    this.unsubscribe?.();
  }
}
