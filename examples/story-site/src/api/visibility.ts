/**
 * What the public may read (docs/api.md, "What is public"): published,
 * non-deleted stories of public courses, and public courses. Drafts,
 * unpublished stories and non-public courses are for editors and admins; a
 * user's reading history is for that user and for editors and admins. A row
 * the caller may not see answers 404, as if absent, so its existence does not
 * leak.
 */
import { ForbiddenError, NotFoundError, UnauthenticatedError } from 'tandem';
import type { Actor } from '../app/ports.js';
import type { CourseStories, ReadPaths, StoryDetail } from '../app/reads/types.js';

export function seesUnpublished(actor: Actor): boolean {
  return actor.role === 'editor' || actor.role === 'admin';
}

export async function visibleStory(reads: ReadPaths, actor: Actor, id: number): Promise<StoryDetail> {
  const story = await reads.storyById(id);
  if (seesUnpublished(actor)) return story;
  if (story.public === true && story.course_id !== null) {
    const { courses } = await reads.publicCourses();
    if (courses.some((c) => c.id === story.course_id)) return story;
  }
  throw new NotFoundError('story', id, 'id');
}

export async function visibleCourseStories(
  reads: ReadPaths,
  actor: Actor,
  short: string,
): Promise<CourseStories> {
  const result = await reads.courseStories(short);
  if (result.course.public || seesUnpublished(actor)) return result;
  throw new NotFoundError('course', short, 'short');
}

/** A user's reading history: the user, or an editor or admin. */
export function requireHistoryAccess(actor: Actor, userId: number): void {
  if (actor.userId === null || actor.role === 'anonymous')
    throw new UnauthenticatedError('sign-in required');
  if (actor.userId !== userId && !seesUnpublished(actor))
    throw new ForbiddenError('editor (or the user whose history it is)');
}
