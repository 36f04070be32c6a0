/**
 * The story site's write paths behind Tandem's write router: each call runs
 * where its write group's stage says (docs/write-cutover.md): the Postgres
 * function at `postgres`, its Convex mutation (convexPaths.ts) at `convex`,
 * and at `convex-shadow` the Postgres function, then the mutation against a
 * scratch deployment, compared. The groups are app/writeGroups.ts's.
 *
 * Every routed path keeps the Postgres function's signature
 * `(deps, actor, input)`, so a caller (the HTTP API) swaps one for the other.
 * A fourth argument, `note`, hears which store wrote: it is how the API says
 * so per request (`Tandem-Write-Source`); the router passes it through.
 */
import {
  createWriteRouter,
  type Logger,
  type WriteCutoverMetrics,
  type WriteRouter,
  type WriteStageSource,
} from 'tandem';
import type { Actor, AppDeps } from '../ports.js';
import { storySiteWriteGroups } from '../writeGroups.js';
import {
  convexWrites,
  type ConvexMutationRunner,
  type ConvexWritePathName,
} from './convexPaths.js';
import * as postgres from './index.js';

export type WriteStore = 'postgres' | 'convex';
export type WriteNote = (store: WriteStore) => void;

/** The Postgres write paths, each as `(deps, actor, input)` (the batch form ignores the actor). */
export const POSTGRES_WRITE_PATHS = {
  saveStory: postgres.saveStory,
  deleteStory: postgres.deleteStory,
  importStory: postgres.importStory,
  toggleApproval: postgres.toggleApproval,
  removeApproval: postgres.removeApproval,
  togglePublished: postgres.togglePublished,
  recordStoryDone: postgres.recordStoryDone,
  recordStoryDoneBatch: (deps: AppDeps, _actor: Actor, input: unknown) =>
    postgres.recordStoryDoneBatch(deps, input),
  saveCourse: postgres.saveCourse,
  saveLanguage: postgres.saveLanguage,
  setLanguageDefaultText: postgres.setLanguageDefaultText,
  setLanguageTtsReplace: postgres.setLanguageTtsReplace,
  setAvatarSpeaker: postgres.setAvatarSpeaker,
  saveLocalization: postgres.saveLocalization,
  saveImage: postgres.saveImage,
  saveAvatar: postgres.saveAvatar,
  saveSpeaker: postgres.saveSpeaker,
} satisfies Record<
  ConvexWritePathName,
  (deps: AppDeps, actor: Actor, input: unknown) => Promise<unknown>
>;

export type StorySiteWritePathName = keyof typeof POSTGRES_WRITE_PATHS;

/** Each write path with the Postgres function's signature and answer. */
export type StorySiteWrites = {
  [K in StorySiteWritePathName]: (
    deps: AppDeps,
    actor: Actor,
    input: unknown,
    note?: WriteNote,
  ) => ReturnType<(typeof POSTGRES_WRITE_PATHS)[K]>;
};

const PATHS = Object.keys(POSTGRES_WRITE_PATHS) as StorySiteWritePathName[];

function handlers(make: (name: StorySiteWritePathName) => StorySiteWrites[StorySiteWritePathName]) {
  return Object.fromEntries(PATHS.map((name) => [name, make(name)])) as StorySiteWrites;
}

/** The Postgres paths, noting `postgres`. */
export const postgresWrites: StorySiteWrites = handlers(
  (name) =>
    ((deps: AppDeps, actor: Actor, input: unknown, note?: WriteNote) => {
      note?.('postgres');
      return POSTGRES_WRITE_PATHS[name](deps, actor, input);
    }) as StorySiteWrites[StorySiteWritePathName],
);

/** The Convex mutations through `convex`, noting `convex` (deps are the Postgres side's: unused). */
export function convexWritesVia(convex: ConvexMutationRunner, noting = true): StorySiteWrites {
  return handlers(
    (name) =>
      ((_deps: AppDeps, actor: Actor, input: unknown, note?: WriteNote) => {
        if (noting) note?.('convex');
        return convexWrites[name]({ convex }, actor, input);
      }) as StorySiteWrites[StorySiteWritePathName],
  );
}

/**
 * Ids of rows a write creates differ between Postgres and a scratch Convex
 * (each draws its own), and so do timestamps: a shadow comparison leaves them out.
 */
function comparable(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'id' || k === 'ids') continue;
    if (k === 'published') out.published = (v as unknown[]).length;
    else if (k === 'date_published') out.date_published = v === null ? null : 'set';
    else out[k] = v;
  }
  return out;
}

export interface StorySiteWriteRouterOptions {
  /** Write stages per group: WriteFlags in a server. */
  stages: WriteStageSource;
  /** Where writes go at `convex`. */
  convex: ConvexMutationRunner;
  /** A scratch deployment for `convex-shadow`; without one, shadow comparisons are counted `skipped`. */
  shadow?: ConvexMutationRunner;
  metrics?: WriteCutoverMetrics;
  log?: Logger;
}

export type StorySiteWriteRouter = WriteRouter<StorySiteWrites>;

export function storySiteWriteRouter(options: StorySiteWriteRouterOptions): StorySiteWriteRouter {
  return createWriteRouter<StorySiteWrites>({
    stages: options.stages,
    groups: storySiteWriteGroups as Record<StorySiteWritePathName, string>,
    postgres: postgresWrites,
    convex: convexWritesVia(options.convex),
    shadow: options.shadow
      ? {
          convex: convexWritesVia(options.shadow, false),
          normalize: Object.fromEntries(PATHS.map((name) => [name, comparable])),
        }
      : undefined,
    metrics: options.metrics,
    log: options.log,
  });
}
