/**
 * Random application writes for property tests: every kind of write path, with
 * ids drawn from the fixture's small ranges so that refusals (unknown ids,
 * conflicts) are part of the mix.
 */
import fc from 'fast-check';
import type { Actor, AppDeps } from '../../examples/story-site/src/app/ports.js';
import * as writes from '../../examples/story-site/src/app/writes/index.js';
import { TandemError } from '../../src/core/errors.js';

export type Action = (deps: AppDeps) => Promise<unknown>;

const user = fc.integer({ min: 1, max: 5 });
const storyId = fc.integer({ min: 1, max: 9 });
const courseId = fc.integer({ min: 1, max: 3 });
const languageId = fc.integer({ min: 1, max: 4 });
const editorOf = (id: number): Actor => ({ userId: id, role: 'editor' });
const ADMIN: Actor = { userId: 9, role: 'admin' };

export const action: fc.Arbitrary<[string, Action]> = fc.oneof(
  fc.tuple(user, storyId).map(([u, s]): [string, Action] => [
    `toggleApproval(${u},${s})`,
    (d) => writes.toggleApproval(d, editorOf(u), { story_id: s }),
  ]),
  // Approval ids start at 1 after each reset (RESTART IDENTITY); toggles create and drop them.
  fc.integer({ min: 1, max: 6 }).map((a): [string, Action] => [
    `removeApproval(${a})`,
    (d) => writes.removeApproval(d, ADMIN, { id: a }),
  ]),
  storyId.map((s): [string, Action] => [`togglePublished(${s})`, (d) => writes.togglePublished(d, ADMIN, { id: s })]),
  storyId.map((s): [string, Action] => [`deleteStory(${s})`, (d) => writes.deleteStory(d, editorOf(1), { id: s })]),
  fc
    .tuple(storyId, courseId, fc.integer({ min: 1, max: 2 }), fc.integer({ min: 0, max: 5 }))
    .map(([s, c, set, todo]): [string, Action] => [
      `saveStory(${s},c${c},set${set},todo${todo})`,
      (d) => writes.saveStory(d, editorOf(2), { id: s, course_id: c, set_id: set, set_index: s, todo_count: todo }),
    ]),
  fc.tuple(fc.integer({ min: 1, max: 4 }), courseId).map(([n, c]): [string, Action] => [
    `saveStoryByDuo(new-${n},c${c})`,
    (d) => writes.saveStory(d, editorOf(3), { duo_id: `new-${n}`, course_id: c, set_id: 2, set_index: n, todo_count: n }),
  ]),
  fc.tuple(storyId, courseId).map(([s, c]): [string, Action] => [
    `importStory(${s},c${c})`,
    (d) => writes.importStory(d, editorOf(4), { story_id: s, course_id: c }),
  ]),
  fc.tuple(storyId, fc.option(user)).map(([s, u]): [string, Action] => [
    `recordStoryDone(${s},${u})`,
    (d) => writes.recordStoryDone(d, u === null ? { userId: null, role: 'anonymous' } : { userId: u, role: 'reader' }, { story_id: s }),
  ]),
  fc.tuple(courseId, languageId, languageId).map(([c, l, f]): [string, Action] => [
    `saveCourse(${c},${l},${f})`,
    (d) => writes.saveCourse(d, ADMIN, { id: c, learning_language: l, from_language: f, public: true }),
  ]),
  fc.tuple(languageId, fc.constantFrom('Alpha', 'Βήτα', 'גימל'), fc.constantFrom('aa', 'bb', 'cc', 'dd')).map(
    ([l, name, short]): [string, Action] => [
      `saveLanguage(${l},${name},${short})`,
      (d) => writes.saveLanguage(d, ADMIN, { id: l, name, short }),
    ],
  ),
);


/** What an attempted write came to: done, or refused with the error's code. */
export type Outcome = { ok: true } | { ok: false; code: string };

/**
 * The refusals the generated actions may meet: ids drawn from small ranges
 * name rows that do not exist (or were deleted), and unique keys collide. Any
 * other error (forbidden, unauthenticated, a bug) fails the test.
 */
export const EXPECTED_REFUSALS: ReadonlySet<string> = new Set(['not_found', 'conflict', 'invalid_input']);

/** Runs an action; a refused write with an expected code is a legitimate outcome, returned as such. */
export async function attempt([, run]: [string, Action], deps: AppDeps): Promise<Outcome> {
  try {
    await run(deps);
    return { ok: true };
  } catch (err) {
    const code = err instanceof TandemError ? (err as TandemError & { code?: string }).code : undefined;
    if (code === undefined || !EXPECTED_REFUSALS.has(code)) throw err;
    return { ok: false, code };
  }
}

/** The write path an action name stands for: `saveStory(1,c2,…)` → `saveStory`. */
export const actionKind = ([name]: [string, Action]): string => name.slice(0, name.indexOf('('));

/** Counts outcomes per write path across a property's runs. */
export class OutcomeTally {
  readonly done = new Map<string, number>();
  readonly refused = new Map<string, number>();

  record(a: [string, Action], outcome: Outcome): void {
    const counts = outcome.ok ? this.done : this.refused;
    counts.set(actionKind(a), (counts.get(actionKind(a)) ?? 0) + 1);
  }

  /** Write paths that were attempted but never once succeeded. */
  neverDone(): string[] {
    return [...this.refused.keys()].filter((kind) => !this.done.has(kind)).sort();
  }
}

/**
 * Every write path of `action`. The property tests draw with a fixed seed (so
 * the tally of which paths succeeded is the same on every run) and assert that
 * each of these succeeded at least once: a path that refused every write
 * would otherwise pass unseen.
 */
export const ACTION_KINDS = [
  'toggleApproval',
  'removeApproval',
  'togglePublished',
  'deleteStory',
  'saveStory',
  'saveStoryByDuo',
  'importStory',
  'recordStoryDone',
  'saveCourse',
  'saveLanguage',
] as const;

/** fast-check seed of the write-sequence properties (see ACTION_KINDS). */
export const WRITE_PROPERTY_SEED = 15;
