/**
 * Random application writes for property tests: every kind of write path, with
 * ids drawn from the fixture's small ranges so that refusals (unknown ids,
 * conflicts) are part of the mix.
 */
import fc from 'fast-check';
import type { Actor, AppDeps } from '../../src/app/ports.js';
import * as writes from '../../src/app/writes/index.js';
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
  fc.integer({ min: 1, max: 30 }).map((a): [string, Action] => [
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


/** Runs an action; a refused write (a named Tandem error) is a legitimate outcome. */
export async function attempt([, run]: [string, Action], deps: AppDeps): Promise<void> {
  try {
    await run(deps);
  } catch (err) {
    if (!(err instanceof TandemError)) throw err;
  }
}
