/** Story read paths on Postgres: one story with its course's languages, and a user's finished stories. */
import { NotFoundError } from 'tandem';
import type { Queryable } from 'tandem';
import { isoOrNull, requireId } from '../arguments.js';
import type { DoneStory, StoryDetail } from '../types.js';

type StoryRow = Omit<StoryDetail, 'date' | 'change_date' | 'date_published'> & {
  date: Date | null;
  change_date: Date | null;
  date_published: Date | null;
};

export async function storyById(db: Queryable, id: unknown): Promise<StoryDetail> {
  const storyId = requireId('id', id);
  const result = await db.query<StoryRow>(
    `SELECT s.id, s.duo_id, s.name, s.set_id, s.set_index, s.author, s.author_change,
            s.date, s.change_date, s.date_published, s.text, s.public, s.image, s.course_id,
            s.json, s.status, s.deleted, s.todo_count,
            c.learning_language, c.from_language
       FROM story s LEFT JOIN course c ON c.id = s.course_id
      WHERE s.id = $1 AND s.deleted IS NOT TRUE`,
    [storyId],
  );
  const row = result.rows[0];
  if (!row) throw new NotFoundError('story', storyId, 'id');
  return {
    ...row,
    date: isoOrNull(row.date),
    change_date: isoOrNull(row.change_date),
    date_published: isoOrNull(row.date_published),
  };
}

export async function userDoneStories(
  db: Queryable,
  userId: unknown,
  courseId: unknown,
): Promise<DoneStory[]> {
  const user = requireId('userId', userId);
  const course = requireId('courseId', courseId);
  const result = await db.query<{ story_id: number; time: Date | null }>(
    `SELECT d.story_id, max(d.time) AS time
       FROM story_done d JOIN story s ON s.id = d.story_id
      WHERE d.user_id = $1 AND s.course_id = $2
      GROUP BY d.story_id
      ORDER BY d.story_id`,
    [user, course],
  );
  return result.rows.map((r) => ({ story_id: r.story_id, time: isoOrNull(r.time) }));
}
