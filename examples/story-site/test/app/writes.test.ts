import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  deleteStory,
  importStory,
  recordStoryDone,
  recordStoryDoneBatch,
  removeApproval,
  saveAvatar,
  saveCourse,
  saveImage,
  saveLanguage,
  saveLocalization,
  saveSpeaker,
  saveStory,
  setAvatarSpeaker,
  setLanguageDefaultText,
  setLanguageTtsReplace,
  toggleApproval,
  togglePublished,
} from '../../src/app/writes/index.js';
import { ANONYMOUS } from '../../src/app/ports.js';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
} from 'tandem';
import { availableBackends, createTestDatabase, type TestDatabase } from '../../../../test/support/db.js';
import { admin, appDeps, editor, one, reader, seedFixture, snapshotTables } from '../../../../test/support/appFixture.js';

const backends = await availableBackends();

describe.each(backends)('write paths [%s]', (backend) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
  });
  beforeEach(() => seedFixture(db.pool));
  afterAll(() => db?.close());

  const deps = () => appDeps(db.pool);
  const course = (id: number) =>
    one<{ count: number; todo_count: number; contributors: string[]; contributors_past: string[] }>(
      db.pool,
      'SELECT count, todo_count, contributors, contributors_past FROM course WHERE id = $1',
      [id],
    );
  const story = (id: number) =>
    one<{ status: string; public: boolean; date_published: Date | null; deleted: boolean }>(
      db.pool,
      'SELECT status, public, date_published, deleted FROM story WHERE id = $1',
      [id],
    );

  it('first approval makes a story feedback, the second finished, toggling back reverts', async () => {
    expect(await toggleApproval(deps(), editor(1), { story_id: 1 })).toEqual({
      action: 'added', story_id: 1, count: 1, status: 'feedback', published: [],
    });
    expect(await toggleApproval(deps(), editor(2), { story_id: 1 })).toEqual({
      action: 'added', story_id: 1, count: 2, status: 'finished', published: [],
    });
    expect((await story(1)).status).toBe('finished');
    expect(await toggleApproval(deps(), editor(2), { story_id: 1 })).toEqual({
      action: 'removed', story_id: 1, count: 1, status: 'feedback', published: [],
    });
    expect((await story(1)).status).toBe('feedback');
    expect((await course(1)).contributors).toEqual(['name-1']);
  });

  it('the fourth finished story of a set publishes the set and bumps course.count', async () => {
    for (const s of [1, 2, 3]) {
      await toggleApproval(deps(), editor(1), { story_id: s });
      const r = await toggleApproval(deps(), editor(2), { story_id: s });
      expect(r.published).toEqual([]);
    }
    expect((await course(1)).count).toBe(0);
    await toggleApproval(deps(), editor(1), { story_id: 4 });
    const fourth = await toggleApproval(deps(), editor(3), { story_id: 4 });
    expect(fourth).toEqual({ action: 'added', story_id: 4, count: 2, status: 'finished', published: [1, 2, 3, 4] });
    for (const s of [1, 2, 3, 4]) {
      const row = await story(s);
      expect(row.public).toBe(true);
      expect(row.date_published).toBeInstanceOf(Date);
    }
    expect((await story(5)).public).toBe(false);
    expect((await course(1)).count).toBe(4);
    // Newest latest-approval first: user 3 (story 4), user 1 (story 4, before 3), user 2 (story 3).
    expect((await course(1)).contributors).toEqual(['name-3', 'name-1', 'name-2']);
  });

  it('removing an approval by id (admin) reverts status and keeps the course consistent', async () => {
    await toggleApproval(deps(), editor(1), { story_id: 2 });
    await toggleApproval(deps(), editor(2), { story_id: 2 });
    const { id } = await one<{ id: number }>(db.pool, 'SELECT id FROM story_approval WHERE story_id = 2 AND user_id = 2');
    expect(await removeApproval(deps(), admin(9), { id })).toEqual({
      action: 'removed', story_id: 2, count: 1, status: 'feedback', published: [],
    });
    expect((await story(2)).status).toBe('feedback');
    await expect(removeApproval(deps(), admin(9), { id })).rejects.toBeInstanceOf(NotFoundError);
    await expect(removeApproval(deps(), editor(1), { id: 1 })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('contributors older than 30 days move to contributors_past', async () => {
    await toggleApproval(deps(), editor(4), { story_id: 3 });
    await db.pool.query(`UPDATE story_approval SET date = now() - interval '40 days' WHERE user_id = 4`);
    await toggleApproval(deps(), editor(5), { story_id: 2 });
    expect(await course(1)).toMatchObject({ contributors: ['name-5'], contributors_past: ['name-4'] });
  });

  it('deleting a public story lowers count and todo_count', async () => {
    await togglePublished(deps(), admin(9), { id: 1 });
    expect(await course(1)).toMatchObject({ count: 1, todo_count: 3 });
    expect(await deleteStory(deps(), editor(1), { id: 1 })).toEqual({ id: 1 });
    expect(await course(1)).toMatchObject({ count: 0, todo_count: 0 });
    expect(await story(1)).toMatchObject({ deleted: true, public: false });
    await expect(deleteStory(deps(), editor(1), { id: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('toggle published stamps date_published once and flips public', async () => {
    const first = await togglePublished(deps(), admin(9), { id: 5 });
    expect(first.public).toBe(true);
    expect(first.date_published).not.toBeNull();
    const second = await togglePublished(deps(), admin(9), { id: 5 });
    expect(second).toEqual({ id: 5, public: false, date_published: first.date_published });
    const third = await togglePublished(deps(), admin(9), { id: 5 });
    expect(third.date_published).toBe(first.date_published);
    expect((await course(1)).count).toBe(1);
  });

  it('save story by id updates content, change_date, author_change and the course todo_count', async () => {
    const before = await one<{ change_date: Date }>(db.pool, 'SELECT change_date FROM story WHERE id = 2');
    const r = await saveStory(deps(), editor(7), {
      id: 2, duo_id: 'duo-2', name: 'Renamed', image: 'img-b', set_id: 1, set_index: 2, course_id: 1,
      text: "'; DROP TABLE story; --", json: { lines: [{ a: 1 }] }, todo_count: 4,
    });
    expect(r).toEqual({ id: 2, created: false });
    const row = await one<Record<string, unknown>>(db.pool, 'SELECT * FROM story WHERE id = 2');
    expect(row).toMatchObject({ name: 'Renamed', image: 'img-b', text: "'; DROP TABLE story; --", json: { lines: [{ a: 1 }] }, todo_count: 4, author_change: 7, author: 1 });
    expect((row.change_date as Date).getTime()).toBeGreaterThanOrEqual(before.change_date.getTime());
    expect((await course(1)).todo_count).toBe(7);
  });

  it('save story without id finds by duo_id + course_id, or creates a draft', async () => {
    const found = await saveStory(deps(), editor(7), { duo_id: 'duo-3', course_id: 1, set_id: 1, set_index: 3, name: 'Three' });
    expect(found).toEqual({ id: 3, created: false });
    const created = await saveStory(deps(), editor(7), { duo_id: 'new-1', course_id: 2, set_id: 1, set_index: 1, todo_count: 2 });
    expect(created).toEqual({ id: 6, created: true });
    expect(await one(db.pool, 'SELECT author, status, public, course_id FROM story WHERE id = 6')).toEqual({
      author: 7, status: 'draft', public: false, course_id: 2,
    });
    expect((await course(2)).todo_count).toBe(2);
  });

  it('moving a story to another course recounts both courses', async () => {
    await saveStory(deps(), editor(7), { id: 1, duo_id: 'duo-1', course_id: 2, set_id: 1, set_index: 1, todo_count: 3 });
    expect((await course(1)).todo_count).toBe(0);
    expect((await course(2)).todo_count).toBe(3);
  });

  it('import story copies content into another course as a draft by the importer', async () => {
    await togglePublished(deps(), admin(9), { id: 1 });
    const { id } = await importStory(deps(), editor(6), { story_id: 1, course_id: 2 });
    expect(id).toBe(6);
    expect(await one(db.pool, 'SELECT duo_id, name, text, json, course_id, author, status, public, todo_count FROM story WHERE id = $1', [id])).toEqual({
      duo_id: 'duo-1', name: 'Story 1', text: 'text 1', json: { n: 1 }, course_id: 2, author: 6, status: 'draft', public: false, todo_count: 3,
    });
    expect(await course(2)).toMatchObject({ count: 0, todo_count: 3 });
  });

  it('record story done for a user and anonymously, singly and in a batch', async () => {
    const a = await recordStoryDone(deps(), reader(3), { story_id: 1 });
    const b = await recordStoryDone(deps(), ANONYMOUS, { story_id: 2 });
    const batch = await recordStoryDoneBatch(deps(), [{ story_id: 3, user_id: 4 }, { story_id: 3, user_id: null }]);
    expect(batch.ids).toHaveLength(2);
    const rows = await db.pool.query('SELECT id, user_id, story_id FROM story_done ORDER BY id');
    expect(rows.rows).toEqual([
      { id: a.id, user_id: 3, story_id: 1 },
      { id: b.id, user_id: null, story_id: 2 },
      { id: batch.ids[0], user_id: 4, story_id: 3 },
      { id: batch.ids[1], user_id: null, story_id: 3 },
    ]);
    const err = await recordStoryDoneBatch(deps(), [{ story_id: 1, user_id: 1 }, { story_id: 99, user_id: 1 }]).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect(err.field).toBe('1.story_id');
    expect((await one<{ n: number }>(db.pool, 'SELECT count(*)::int AS n FROM story_done')).n).toBe(4);
  });

  it('save course derives short and names and normalizes tags', async () => {
    const r = await saveCourse(deps(), admin(9), { learning_language: 3, from_language: 2, tags: 'Beginner, FUN  fun,stories', public: true });
    expect(r.short).toBe('de-ar');
    expect(await one(db.pool, 'SELECT short, learning_language_name, from_language_name, tags, count, todo_count, public FROM course WHERE id = $1', [r.id])).toEqual({
      short: 'de-ar', learning_language_name: 'Deutsch', from_language_name: 'العربية', tags: ['beginner', 'fun', 'stories'], count: 0, todo_count: 0, public: true,
    });
    await saveCourse(deps(), admin(9), { id: r.id, learning_language: 3, from_language: 2, tags: ['A', 'b c'] });
    expect((await one<{ tags: string[] }>(db.pool, 'SELECT tags FROM course WHERE id = $1', [r.id])).tags).toEqual(['a', 'b', 'c']);
    const dup = await saveCourse(deps(), admin(9), { learning_language: 2, from_language: 1 }).catch((e) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup.field).toBe('learning_language');
    const missing = await saveCourse(deps(), admin(9), { learning_language: 77, from_language: 1 }).catch((e) => e);
    expect(missing).toBeInstanceOf(InvalidInputError);
    expect(missing.field).toBe('learning_language');
  });

  it('renaming a language renames it in its courses, and a new short reaches course.short', async () => {
    await saveLanguage(deps(), admin(9), { id: 1, name: 'Inglés', short: 'en' });
    expect(await one(db.pool, 'SELECT from_language_name, short FROM course WHERE id = 2')).toEqual({ from_language_name: 'Inglés', short: 'de-en' });
    await saveLanguage(deps(), admin(9), { id: 3, name: 'Deutsch', short: 'deu' });
    expect(await one(db.pool, 'SELECT learning_language_name, short FROM course WHERE id = 2')).toEqual({ learning_language_name: 'Deutsch', short: 'deu-en' });
    const created = await saveLanguage(deps(), admin(9), { name: 'فارسی', short: 'fa', rtl: true });
    expect(created.id).toBe(4);
    const taken = await saveLanguage(deps(), admin(9), { name: 'X', short: 'fa' }).catch((e) => e);
    expect(taken).toBeInstanceOf(ConflictError);
    expect(taken.field).toBe('short');
  });

  it('language default text and tts replace (editor)', async () => {
    await setLanguageDefaultText(deps(), editor(1), { id: 2, default_text: 'مرحبا' });
    await setLanguageTtsReplace(deps(), editor(1), { id: 2, tts_replace: 'a|b' });
    expect(await one(db.pool, 'SELECT default_text, tts_replace FROM language WHERE id = 2')).toEqual({ default_text: 'مرحبا', tts_replace: 'a|b' });
    await expect(setLanguageDefaultText(deps(), editor(1), { id: 42, default_text: 'x' })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('avatar mapping and localization upsert by their natural keys', async () => {
    const m1 = await setAvatarSpeaker(deps(), editor(1), { avatar_id: 1, language_id: 2, name: 'Ana', speaker: 'ar-1' });
    const m2 = await setAvatarSpeaker(deps(), editor(1), { avatar_id: 1, language_id: 2, name: 'Ana', speaker: 'ar-2' });
    expect(m2.id).toBe(m1.id);
    expect(await one(db.pool, 'SELECT count(*)::int AS n, max(speaker) AS s FROM avatar_mapping')).toEqual({ n: 1, s: 'ar-2' });
    const l1 = await saveLocalization(deps(), editor(1), { language_id: 2, tag: 'hello', text: 'مرحبا' });
    const l2 = await saveLocalization(deps(), editor(1), { language_id: 2, tag: 'hello', text: 'أهلا' });
    expect(l2.id).toBe(l1.id);
    expect(await one(db.pool, 'SELECT text FROM localization WHERE id = $1', [l1.id])).toEqual({ text: 'أهلا' });
    const bad = await setAvatarSpeaker(deps(), editor(1), { avatar_id: 5, language_id: 2 }).catch((e) => e);
    expect(bad).toBeInstanceOf(InvalidInputError);
    expect(bad.field).toBe('avatar_id');
  });

  it('images, avatars and speakers (admin)', async () => {
    expect(await saveImage(deps(), admin(9), { id: 'img-c', active: 'c.svg', gilded: 'g', locked: 'l', active_lip: '#111', gilded_lip: '#222' })).toEqual({ id: 'img-c' });
    await saveImage(deps(), admin(9), { id: 'img-c', active: 'c2.svg', gilded: 'g', locked: 'l', active_lip: '#111', gilded_lip: '#222' });
    expect(await one(db.pool, `SELECT active FROM image WHERE id = 'img-c'`)).toEqual({ active: 'c2.svg' });
    const av = await saveAvatar(deps(), admin(9), { link: 'https://example.org/b.png', name: 'Bo' });
    expect(av.id).toBe(2);
    const sp = await saveSpeaker(deps(), admin(9), { language_id: 2, speaker: 'ar-XA-1', gender: 'FEMALE', type: 'NEURAL', service: 'google' });
    const dup = await saveSpeaker(deps(), admin(9), { language_id: 1, speaker: 'ar-XA-1', gender: 'MALE', type: 'NORMAL', service: 'x' }).catch((e) => e);
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup.field).toBe('speaker');
    expect(await one(db.pool, 'SELECT gender, type FROM speaker WHERE id = $1', [sp.id])).toEqual({ gender: 'FEMALE', type: 'NEURAL' });
    await expect(saveImage(deps(), editor(1), { id: 'x', active: '', gilded: '', locked: '', active_lip: '', gilded_lip: '' })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it('roles: readers cannot edit, anonymous readers must sign in', async () => {
    await expect(toggleApproval(deps(), reader(1), { story_id: 1 })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(saveStory(deps(), ANONYMOUS, { id: 1, course_id: 1, set_id: 1, set_index: 1 })).rejects.toBeInstanceOf(UnauthenticatedError);
  });

  it('bad input names the field and writes nothing', async () => {
    const before = await snapshotTables(db.pool);
    const cases: Array<[() => Promise<unknown>, string]> = [
      [() => saveStory(deps(), editor(1), { course_id: 1, set_id: 1, set_index: 1 }), 'duo_id'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 1, set_id: 'x', set_index: 1 }), 'set_id'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 1, set_id: 1, set_index: 1, name: 'x'.repeat(256) }), 'name'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 1, set_id: 1, set_index: 1, image: 'nope' }), 'image'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 99, set_id: 1, set_index: 1 }), 'course_id'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 1, set_id: 1, set_index: 1, text: 'a\u0000b' }), 'text'],
      [() => saveStory(deps(), editor(1), { id: 1, course_id: 1, set_id: 1, set_index: 1, bogus: 1 }), 'bogus'],
      [() => toggleApproval(deps(), editor(1), { story_id: -1 }), 'story_id'],
      [() => saveCourse(deps(), admin(9), { learning_language: 1, from_language: 2, tags: ['x'.repeat(21)] }), 'tags.0'],
      [() => saveLanguage(deps(), admin(9), { name: '', short: 'zz' }), 'name'],
      [() => saveSpeaker(deps(), admin(9), { language_id: 1, speaker: 's', gender: 'OTHER', type: 'NORMAL', service: 'x' }), 'gender'],
      [() => recordStoryDone(deps(), ANONYMOUS, { story_id: 999 }), 'story_id'],
      [() => saveLocalization(deps(), editor(1), { language_id: 1, tag: 'x' }), 'text'],
    ];
    for (const [run, field] of cases) {
      const err = (await run().catch((e: unknown) => e)) as InvalidInputError;
      expect(err, field).toBeInstanceOf(InvalidInputError);
      expect(err.field).toBe(field);
    }
    expect(await snapshotTables(db.pool)).toEqual(before);
  });
});
