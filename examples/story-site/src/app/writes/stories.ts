/** Write paths 1–3 and 6 of DOMAIN.md: save, delete, import and publish stories. */
import type pg from 'pg';
import { NotFoundError } from 'tandem';
import { importStoryInput, parseInput, saveStoryInput, storyRef, type SaveStoryInput } from '../inputs.js';
import type { Actor, AppDeps } from '../ports.js';
import { requireRole } from './access.js';
import { lockCourses, refreshCourseCounts } from './courseAggregates.js';
import { requireReference } from './references.js';

interface StoryRow {
  id: number;
  course_id: number | null;
  public: boolean | null;
  date_published: Date | null;
}

/**
 * Finds a live story and locks its course. The course lock is taken before any
 * story row is changed (the order every write path follows); the story is read
 * again after locking in case a concurrent save moved it to another course.
 */
async function findStoryLockingCourse(tx: pg.PoolClient, id: number, alsoLock: number[] = []): Promise<StoryRow> {
  for (;;) {
    const before = await findStory(tx, id);
    await lockCourses(tx, [before.course_id, ...alsoLock]);
    const after = await findStory(tx, id);
    if (after.course_id === before.course_id) return after;
  }
}

async function findStory(tx: pg.PoolClient, id: number): Promise<StoryRow> {
  const { rows } = await tx.query<StoryRow>(
    'SELECT id, course_id, public, date_published FROM story WHERE id = $1 AND NOT coalesce(deleted, false)',
    [id],
  );
  if (!rows[0]) throw new NotFoundError('story', id, 'id');
  return rows[0];
}

/** The story to save: by id, else by (duo_id, course_id); undefined means create. */
async function locateStoryToSave(tx: pg.PoolClient, input: SaveStoryInput): Promise<StoryRow | undefined> {
  if (input.id !== undefined) return findStoryLockingCourse(tx, input.id, [input.course_id]);
  await lockCourses(tx, [input.course_id]);
  const { rows } = await tx.query<StoryRow>(
    `SELECT id, course_id, public, date_published FROM story
      WHERE duo_id = $1 AND course_id = $2 AND NOT coalesce(deleted, false)
      ORDER BY id LIMIT 1`,
    [input.duo_id, input.course_id],
  );
  return rows[0];
}

function contentParams(input: SaveStoryInput): unknown[] {
  return [
    input.duo_id ?? null,
    input.name ?? null,
    input.image ?? null,
    input.set_id,
    input.set_index,
    input.course_id,
    input.text ?? null,
    input.json === undefined ? null : JSON.stringify(input.json),
    input.todo_count,
  ];
}

/** 1. Save story: update content by id (or by duo_id + course_id), or create it; recount the course(s). */
export async function saveStory(
  deps: AppDeps,
  actor: Actor,
  rawInput: unknown,
): Promise<{ id: number; created: boolean }> {
  const editor = requireRole(actor, 'editor');
  const input = parseInput(saveStoryInput, rawInput);
  return deps.runner.run('save-story', async (tx) => {
    await requireReference(tx, 'course', input.course_id, 'course_id');
    if (input.image) await requireReference(tx, 'image', input.image, 'image');
    const existing = await locateStoryToSave(tx, input);
    let id: number;
    if (existing) {
      await tx.query(
        `UPDATE story SET duo_id = $2, name = $3, image = $4, set_id = $5, set_index = $6, course_id = $7,
                text = $8, json = $9::jsonb, todo_count = $10, change_date = now(), author_change = $11
          WHERE id = $1`,
        [existing.id, ...contentParams(input), editor],
      );
      id = existing.id;
    } else {
      const { rows } = await tx.query<{ id: number }>(
        `INSERT INTO story (duo_id, name, image, set_id, set_index, course_id, text, json, todo_count,
                            author, author_change, status, public, deleted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $10, 'draft', false, false)
         RETURNING id`,
        [...contentParams(input), editor],
      );
      id = rows[0]!.id;
    }
    if (existing && existing.course_id !== input.course_id) await refreshCourseCounts(tx, existing.course_id);
    await refreshCourseCounts(tx, input.course_id);
    return { id, created: !existing };
  });
}

/** 2. Delete story: soft delete (deleted, not public); recount its course. */
export async function deleteStory(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  requireRole(actor, 'editor');
  const { id } = parseInput(storyRef, rawInput);
  return deps.runner.run('delete-story', async (tx) => {
    const story = await findStoryLockingCourse(tx, id);
    await tx.query('UPDATE story SET deleted = true, public = false WHERE id = $1', [id]);
    await refreshCourseCounts(tx, story.course_id);
    return { id };
  });
}

/** 3. Import story: copy a story's content into another course as a new draft by the importer. */
export async function importStory(deps: AppDeps, actor: Actor, rawInput: unknown): Promise<{ id: number }> {
  const importer = requireRole(actor, 'editor');
  const input = parseInput(importStoryInput, rawInput);
  return deps.runner.run('import-story', async (tx) => {
    await findStory(tx, input.story_id);
    await requireReference(tx, 'course', input.course_id, 'course_id');
    await lockCourses(tx, [input.course_id]);
    const { rows } = await tx.query<{ id: number }>(
      `INSERT INTO story (duo_id, name, image, set_id, set_index, course_id, text, json, todo_count,
                          author, author_change, status, public, deleted)
       SELECT duo_id, name, image, set_id, set_index, $2, text, json, todo_count, $3, $3, 'draft', false, false
         FROM story WHERE id = $1
       RETURNING id`,
      [input.story_id, input.course_id, importer],
    );
    await refreshCourseCounts(tx, input.course_id);
    return { id: rows[0]!.id };
  });
}

/** 6. Toggle published: flip `public`, stamping `date_published` the first time; recount the course. */
export async function togglePublished(
  deps: AppDeps,
  actor: Actor,
  rawInput: unknown,
): Promise<{ id: number; public: boolean; date_published: string | null }> {
  requireRole(actor, 'admin');
  const { id } = parseInput(storyRef, rawInput);
  return deps.runner.run('toggle-published', async (tx) => {
    const story = await findStoryLockingCourse(tx, id);
    const { rows } = await tx.query<{ public: boolean; date_published: Date | null }>(
      `UPDATE story SET public = NOT coalesce(public, false),
              date_published = CASE WHEN NOT coalesce(public, false) AND date_published IS NULL
                                    THEN now() ELSE date_published END
        WHERE id = $1
        RETURNING public, date_published`,
      [id],
    );
    await refreshCourseCounts(tx, story.course_id);
    const row = rows[0]!;
    return { id, public: row.public, date_published: row.date_published?.toISOString() ?? null };
  });
}
