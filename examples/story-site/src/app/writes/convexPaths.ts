/**
 * The story site's write paths run as Convex mutations (convex/writes.ts), for
 * the lead's write router to call once a write group's writer is Convex.
 *
 * `CONVEX_WRITE_PATHS` maps each write path (the names of this folder's
 * Postgres functions) to its Convex mutation and to the argument mapping: the
 * caller's role is checked and the input validated with the Postgres path's
 * own zod schemas first (the same InvalidInputError, before anything is sent),
 * then mapped to the mutation's arguments (story JSON in the mirror's
 * encoding, tags normalized, the caller's user id). A refusal from inside the
 * mutation (a missing row, a taken key: `{ code, field, message }`) comes back
 * as the Postgres path's NotFoundError / InvalidInputError / ConflictError.
 * `runConvexWrite` does all three, so `convexWrites.saveStory(deps, actor, input)`
 * answers as `saveStory(deps, actor, input)` does.
 */
import { makeFunctionReference, type FunctionReference } from 'convex/server';
import {
  ConflictError,
  InvalidInputError,
  NotFoundError,
  TargetUnavailableError,
  UnknownUserError,
} from 'tandem';
import { fitJsonValue } from '../convexFit.js';
import {
  approvalRef,
  avatarSpeakerInput,
  id as idSchema,
  importStoryInput,
  languageDefaultTextInput,
  languageTtsReplaceInput,
  localizationInput,
  parseInput,
  recordStoryDoneInput,
  saveAvatarInput,
  saveCourseInput,
  saveImageInput,
  saveLanguageInput,
  saveSpeakerInput,
  saveStoryInput,
  storyRef,
} from '../inputs.js';
import type { Actor } from '../ports.js';
import { requireRole } from './access.js';
import type { ApprovalOutcome } from './approvals.js';
import { normalizeTags } from './courses.js';
import { storyDoneBatchInput } from './storyDone.js';
import { z } from 'zod';

/** What the Convex write paths need: a Convex target that runs a mutation by path (embedded or http). */
export interface ConvexMutationRunner {
  mutation(path: string, args: Record<string, unknown>): Promise<unknown>;
}

export interface ConvexWriteDeps {
  convex: ConvexMutationRunner;
}

type Args = Record<string, unknown>;

export interface ConvexWritePath<Result = unknown> {
  /** `module:function` of the mutation in the app's Convex folder. */
  path: string;
  ref: FunctionReference<'mutation', 'internal', Args, unknown>;
  /** Role check, validation and mapping to the mutation's arguments; throws as the Postgres path does. */
  args(actor: Actor, rawInput: unknown): Args;
  /** The mutation's answer as the Postgres path answers. */
  result(value: unknown): Result;
}

function writePath<Result>(
  path: string,
  args: (actor: Actor, rawInput: unknown) => Args,
  result: (value: unknown) => Result = (value) => value as Result,
): ConvexWritePath<Result> {
  return {
    path,
    ref: makeFunctionReference<'mutation', Args, unknown>(path) as never,
    args,
    result,
  };
}

const orNull = <T>(value: T | null | undefined): T | null => value ?? null;

/** The story's JSON as the relay maps it (the schema already proved it fits). */
function encodedJson(value: unknown): unknown {
  if (value === undefined) return null;
  const fit = fitJsonValue('json', value);
  if (!fit.ok) throw new InvalidInputError('json', fit.message);
  return fit.value;
}

const withoutUndefined = (args: Args): Args =>
  Object.fromEntries(Object.entries(args).filter(([, value]) => value !== undefined));

export const CONVEX_WRITE_PATHS = {
  saveStory: writePath<{ id: number; created: boolean }>('writes:saveStory', (actor, raw) => {
    const editor = requireRole(actor, 'editor');
    const input = parseInput(saveStoryInput, raw);
    return withoutUndefined({
      editor,
      id: input.id,
      duo_id: orNull(input.duo_id),
      name: orNull(input.name),
      image: orNull(input.image),
      set_id: input.set_id,
      set_index: input.set_index,
      course_id: input.course_id,
      text: orNull(input.text),
      json: encodedJson(input.json),
      todo_count: input.todo_count,
    });
  }),
  deleteStory: writePath<{ id: number }>('writes:deleteStory', (actor, raw) => {
    requireRole(actor, 'editor');
    return parseInput(storyRef, raw);
  }),
  importStory: writePath<{ id: number }>('writes:importStory', (actor, raw) => {
    const importer = requireRole(actor, 'editor');
    return { importer, ...parseInput(importStoryInput, raw) };
  }),
  toggleApproval: writePath<ApprovalOutcome>('writes:toggleApproval', (actor, raw) => {
    const userId = requireRole(actor, 'editor');
    return { userId, ...parseInput(approvalRef, raw) };
  }),
  removeApproval: writePath<ApprovalOutcome>('writes:removeApproval', (actor, raw) => {
    requireRole(actor, 'admin');
    return parseInput(z.object({ id: idSchema }).strict(), raw);
  }),
  togglePublished: writePath(
    'writes:togglePublished',
    (actor, raw) => {
      requireRole(actor, 'admin');
      return parseInput(storyRef, raw);
    },
    (value) => {
      const v = value as { id: number; public: boolean; date_published: number | null };
      return {
        ...v,
        date_published: v.date_published === null ? null : new Date(v.date_published).toISOString(),
      };
    },
  ),
  recordStoryDone: writePath(
    'writes:recordStoryDone',
    (actor, raw) => {
      const { story_id } = parseInput(recordStoryDoneInput, raw);
      return { items: [{ story_id, user_id: actor.userId }], batch: false };
    },
    (value) => ({ id: (value as { ids: number[] }).ids[0]! }),
  ),
  /** The batch form takes no actor (a server's buffer of reads): pass any. */
  recordStoryDoneBatch: writePath<{ ids: number[] }>('writes:recordStoryDone', (_actor, raw) => ({
    items: parseInput(storyDoneBatchInput, raw),
    batch: true,
  })),
  saveCourse: writePath<{ id: number; short: string }>('writes:saveCourse', (actor, raw) => {
    requireRole(actor, 'admin');
    const input = parseInput(saveCourseInput, raw);
    return withoutUndefined({
      ...input,
      name: orNull(input.name),
      about: orNull(input.about),
      tags: normalizeTags(input.tags),
    });
  }),
  saveLanguage: writePath<{ id: number }>('writes:saveLanguage', (actor, raw) => {
    requireRole(actor, 'admin');
    const input = parseInput(saveLanguageInput, raw);
    return withoutUndefined({
      ...input,
      flag: orNull(input.flag),
      flag_file: orNull(input.flag_file),
      speaker: orNull(input.speaker),
      default_text: orNull(input.default_text),
      tts_replace: orNull(input.tts_replace),
    });
  }),
  setLanguageDefaultText: writePath<{ id: number }>('writes:setLanguageColumn', (actor, raw) => {
    requireRole(actor, 'editor');
    const input = parseInput(languageDefaultTextInput, raw);
    return { id: input.id, column: 'default_text', value: orNull(input.default_text) };
  }),
  setLanguageTtsReplace: writePath<{ id: number }>('writes:setLanguageColumn', (actor, raw) => {
    requireRole(actor, 'editor');
    const input = parseInput(languageTtsReplaceInput, raw);
    return { id: input.id, column: 'tts_replace', value: orNull(input.tts_replace) };
  }),
  setAvatarSpeaker: writePath<{ id: number }>('writes:setAvatarSpeaker', (actor, raw) => {
    requireRole(actor, 'editor');
    const input = parseInput(avatarSpeakerInput, raw);
    return { ...input, name: orNull(input.name), speaker: orNull(input.speaker) };
  }),
  saveLocalization: writePath<{ id: number }>('writes:saveLocalization', (actor, raw) => {
    requireRole(actor, 'editor');
    return parseInput(localizationInput, raw);
  }),
  saveImage: writePath<{ id: string }>('writes:saveImage', (actor, raw) => {
    requireRole(actor, 'admin');
    return parseInput(saveImageInput, raw);
  }),
  saveAvatar: writePath<{ id: number }>('writes:saveAvatar', (actor, raw) => {
    requireRole(actor, 'admin');
    const input = parseInput(saveAvatarInput, raw);
    return withoutUndefined({ ...input, name: orNull(input.name) });
  }),
  saveSpeaker: writePath<{ id: number }>('writes:saveSpeaker', (actor, raw) => {
    requireRole(actor, 'admin');
    return withoutUndefined(parseInput(saveSpeakerInput, raw));
  }),
} satisfies Record<string, ConvexWritePath>;

export type ConvexWritePathName = keyof typeof CONVEX_WRITE_PATHS;
type ResultOf<N extends ConvexWritePathName> = ReturnType<(typeof CONVEX_WRITE_PATHS)[N]['result']>;

interface RefusalData {
  code: string;
  field: string | null;
  message: string;
  entity?: string;
  key?: unknown;
}

function refusalData(err: unknown): RefusalData | undefined {
  // ConvexHttpClient and convex-test both rethrow a ConvexError with the thrown `data`.
  const data = (err as { data?: unknown } | null)?.data;
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Partial<RefusalData>;
  return typeof d.code === 'string' && typeof d.message === 'string'
    ? (d as RefusalData)
    : undefined;
}

/** A Convex write path's refusal as the Postgres path's named error; anything else unchanged. */
export function fromConvexRefusal(err: unknown): unknown {
  const refusal = refusalData(err);
  if (!refusal) return err;
  const field = refusal.field ?? undefined;
  switch (refusal.code) {
    case 'invalid_input':
      return new InvalidInputError(field ?? '(input)', refusal.message);
    case 'not_found':
      return new NotFoundError(refusal.entity ?? '(row)', refusal.key, field);
    case 'conflict':
      return new ConflictError(refusal.message, field);
    case 'unknown_user':
      return new UnknownUserError();
    case 'keys_exhausted':
      // Worth waiting for: the refiller tops the ranges up (docs/write-cutover-keys.md).
      return new TargetUnavailableError(refusal.message);
    default:
      return err;
  }
}

/** Runs one write path as its Convex mutation: checks, one mutation, the Postgres path's answer or error. */
export async function runConvexWrite<N extends ConvexWritePathName>(
  name: N,
  deps: ConvexWriteDeps,
  actor: Actor,
  rawInput: unknown,
): Promise<ResultOf<N>> {
  const writePath = CONVEX_WRITE_PATHS[name] as ConvexWritePath<ResultOf<N>>;
  const args = writePath.args(actor, rawInput);
  let value: unknown;
  try {
    value = await deps.convex.mutation(writePath.path, args);
  } catch (err) {
    throw fromConvexRefusal(err);
  }
  return writePath.result(value);
}

type ConvexWriteFunctions = {
  [N in ConvexWritePathName]: (
    deps: ConvexWriteDeps,
    actor: Actor,
    rawInput: unknown,
  ) => Promise<ResultOf<N>>;
};

/** Each write path with the Postgres function's signature, run in Convex. */
export const convexWrites = Object.fromEntries(
  Object.keys(CONVEX_WRITE_PATHS).map((name) => [
    name,
    (deps: ConvexWriteDeps, actor: Actor, rawInput: unknown) =>
      runConvexWrite(name as ConvexWritePathName, deps, actor, rawInput),
  ]),
) as ConvexWriteFunctions;
