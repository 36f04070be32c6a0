/**
 * The write router, the write-side twin of the read router: the application
 * calls every write path that may move to Convex through it, and each call
 * runs where its group's write stage says:
 * - `postgres`: the Postgres handler (today's path);
 * - `convex`: the Convex handler (a Convex mutation, through a ConvexTarget);
 * - `convex-shadow`: the Postgres handler, whose result (or error) is what the
 *   caller gets, and then the shadow handler (the Convex mutation against a
 *   scratch deployment) with the same arguments; the two outcomes are compared
 *   and a difference is counted and logged. Shadow calls run one at a time in
 *   call order, after the caller has its answer, so the scratch copy sees the
 *   writes in the order Postgres did and the caller never waits for it.
 *
 * A write reads its group's stage once, when it starts, and finishes at that
 * stage even if the stage changes meanwhile: a switch affects the writes that
 * start after it. That is why a rollback pauses the group first: `pause`
 * holds new writes of the group and resolves when its writes in flight have
 * finished; `resume` lets the held writes go, at the stage then current.
 */
import { InvalidInputError } from '../core/errors.js';
import { canonicalResult } from '../cutover/shadowCompare.js';
import type { Logger } from '../log.js';
import type { WriteCutoverMetrics } from './metrics.js';
import type { WriteHold } from './writePause.js';
import type { WriteStageSource } from './writeFlags.js';
import { writerOf, type WriteStage } from './writeStages.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- handlers keep their own argument types
export type WriteHandler = (...args: any[]) => Promise<unknown>;
export type WriteHandlers = Record<string, WriteHandler>;

export interface WriteShadowOptions<H extends WriteHandlers> {
  /** The Convex handlers bound to a scratch target. */
  convex: H;
  /** Brings both outcomes of a path to one form before comparing (e.g. drops generated ids). */
  normalize?: { [K in keyof H]?: (value: Awaited<ReturnType<H[K]>>) => unknown };
  /** Differences kept in memory for `differences()`. Default 100. */
  keep?: number;
}

export interface WriteRouterOptions<H extends WriteHandlers> {
  stages: WriteStageSource;
  /** The write group of each write path. */
  groups: { readonly [K in keyof H]: string };
  postgres: H;
  convex: H;
  shadow?: WriteShadowOptions<H>;
  metrics?: WriteCutoverMetrics;
  log?: Logger;
  /** How often a held write looks at the stage source's pause again (ms). Default 25. */
  pauseCheckMs?: number;
}

/** One write's outcome in the form compared in shadow: a canonical value, or the error's kind and field. */
export type WriteOutcome =
  { ok: true; value: string } | { ok: false; error: string; field?: string };

export interface ShadowDifference {
  path: string;
  group: string;
  postgres: WriteOutcome;
  convex: WriteOutcome;
  at: Date;
}

export interface WriteRouter<H extends WriteHandlers> extends WriteHold {
  /** The routed write paths: call these instead of either store's. */
  readonly writes: H;
  /** The stage a write of this path would run at now. */
  stageOf(path: keyof H & string): WriteStage;
  /** Writes of the group running now. */
  inFlight(group: string): number;
  /** Resolves when every shadow comparison started so far has finished. */
  settled(): Promise<void>;
  /** The latest shadow differences, oldest first. */
  differences(): ShadowDifference[];
}

function outcomeOf(
  result: PromiseSettledResult<unknown>,
  normalize?: (v: never) => unknown,
): WriteOutcome {
  if (result.status === 'fulfilled')
    return {
      ok: true,
      value: canonicalResult(normalize ? normalize(result.value as never) : result.value),
    };
  const err = result.reason as { name?: string; field?: string; message?: string };
  return { ok: false, error: err?.name ?? 'Error', ...(err?.field ? { field: err.field } : {}) };
}

/**
 * The codes of the tool's typed refusals (core/errors.ts): the writer said no
 * to this input. An outage or a bug is not a refusal. Read by code, not by
 * class, so an application's copy of the errors (its own import of the
 * package) counts the same.
 */
const REFUSAL_CODES: ReadonlySet<string> = new Set([
  'invalid_input',
  'not_found',
  'conflict',
  'forbidden',
  'unauthenticated',
]);

function refusalCode(reason: unknown): string | null {
  const code = (reason as { code?: unknown } | null)?.code;
  return typeof code === 'string' && REFUSAL_CODES.has(code) ? code : null;
}

const sameOutcome = (a: WriteOutcome, b: WriteOutcome) => JSON.stringify(a) === JSON.stringify(b);

/** How soon a resume reads the stages again after a failed read (ms). */
const REFRESH_RETRY_MS = 100;

export function createWriteRouter<H extends WriteHandlers>(
  options: WriteRouterOptions<H>,
): WriteRouter<H> {
  const paths = Object.keys(options.postgres);
  for (const path of paths) {
    if (typeof options.groups[path] !== 'string' || options.groups[path] === '')
      throw new InvalidInputError('groups', `write path ${path} has no write group`);
    if (typeof options.convex[path] !== 'function')
      throw new InvalidInputError('convex', `write path ${path} has no Convex handler`);
    if (options.shadow && typeof options.shadow.convex[path] !== 'function')
      throw new InvalidInputError('shadow.convex', `write path ${path} has no shadow handler`);
  }
  for (const path of Object.keys(options.groups))
    if (!paths.includes(path))
      throw new InvalidInputError('groups', `${path} is not a write path of the handlers`);

  const paused = new Set<string>();
  /** Pauses taken per group, so a resume's late release cannot lift a newer pause. */
  const pauses = new Map<string, number>();
  const running = new Map<string, number>();
  const drained = new Map<string, Array<() => void>>();
  let wake: Array<() => void> = [];
  let shadowChain: Promise<void> = Promise.resolve();
  const found: ShadowDifference[] = [];
  const keep = options.shadow?.keep ?? 100;
  const checkMs = options.pauseCheckMs ?? 25;
  options.stages.onChange?.(() => wakeAll());

  function wakeAll(): void {
    const waiting = wake;
    wake = [];
    for (const w of waiting) w();
  }

  const isHeld = (group: string) =>
    paused.has(group) || (options.stages.isPaused?.(group) ?? false);

  async function admit(group: string): Promise<void> {
    if (!isHeld(group)) return;
    const started = performance.now();
    while (isHeld(group)) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, checkMs);
        wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    options.metrics?.pauseWait.observe({ group }, (performance.now() - started) / 1000);
  }

  function finished(group: string): void {
    const n = (running.get(group) ?? 1) - 1;
    running.set(group, n);
    if (n === 0) for (const done of drained.get(group)?.splice(0) ?? []) done();
  }

  function shadowCompare(
    path: string,
    group: string,
    args: unknown[],
    postgres: PromiseSettledResult<unknown>,
  ): void {
    const shadow = options.shadow;
    if (!shadow) {
      options.metrics?.shadow.inc({ path, group, outcome: 'skipped' });
      return;
    }
    const normalize = shadow.normalize?.[path] as ((v: never) => unknown) | undefined;
    shadowChain = shadowChain.then(async () => {
      const [convex] = await Promise.allSettled([shadow.convex[path]!(...args)]);
      const a = outcomeOf(postgres, normalize);
      const b = outcomeOf(convex!, normalize);
      const outcome = sameOutcome(a, b) ? 'match' : 'differ';
      options.metrics?.shadow.inc({ path, group, outcome });
      if (outcome === 'match') return;
      found.push({ path, group, postgres: a, convex: b, at: new Date() });
      if (found.length > keep) found.shift();
      options.log?.warn(
        {
          path,
          group,
          postgres: a,
          convex: b,
          ...(convex!.status === 'rejected'
            ? { err: String((convex!.reason as Error)?.message) }
            : {}),
        },
        'shadow write differs from postgres',
      );
    });
  }

  async function route(path: string, args: unknown[]): Promise<unknown> {
    const group = options.groups[path]!;
    await admit(group);
    // The stage is read once: the write finishes at it whatever happens meanwhile.
    const stage = options.stages.stageOf(group);
    running.set(group, (running.get(group) ?? 0) + 1);
    try {
      const store = writerOf(stage);
      options.metrics?.writes.inc({ path, group, store });
      const handler = stage === 'convex' ? options.convex[path]! : options.postgres[path]!;
      const [outcome] = await Promise.allSettled([handler(...args)]);
      if (stage === 'convex-shadow') shadowCompare(path, group, args, outcome!);
      if (outcome!.status === 'fulfilled') return outcome!.value;
      const code = refusalCode(outcome!.reason);
      if (code) options.metrics?.refusals.inc({ path, group, store, code });
      throw outcome!.reason;
    } finally {
      finished(group);
    }
  }

  const writes = Object.fromEntries(
    paths.map((path) => [path, (...args: unknown[]) => route(path, args)]),
  ) as unknown as H;

  return {
    writes,
    stageOf: (path) => options.stages.stageOf(options.groups[path]),
    inFlight: (group) => running.get(group) ?? 0,
    async pause(group) {
      paused.add(group);
      pauses.set(group, (pauses.get(group) ?? 0) + 1);
      if ((running.get(group) ?? 0) === 0) return;
      await new Promise<void>((resolve) =>
        drained.set(group, [...(drained.get(group) ?? []), resolve]),
      );
    },
    resume(group) {
      // The switch has committed its stage, but this process's stage source
      // may not have seen it yet (it polls or listens): a switch quicker than
      // the poll would let the held writes run at the old stage, into the
      // store that just stopped being the writer. So they wait for a fresh read.
      const pause = pauses.get(group);
      const current = () => pauses.get(group) === pause;
      const release = () => {
        // A later pause of the group (the next switch) keeps it held.
        if (current()) paused.delete(group);
        wakeAll();
      };
      if (!options.stages.refresh) return release();
      // A failed read keeps the writes held (they would otherwise run at a
      // stage this process knows to be stale) and is tried again, until it
      // succeeds or a newer pause takes over the group.
      const read = (): void =>
        void options.stages.refresh!().then(release, () => {
          if (current()) setTimeout(read, REFRESH_RETRY_MS);
        });
      read();
    },
    async settled() {
      let last: Promise<void> | undefined;
      while (last !== shadowChain) {
        last = shadowChain;
        await last;
      }
    },
    differences: () => [...found],
  };
}
