/**
 * ReadPaths served from Convex: the story site's read functions
 * (convex/reads/*.ts) called by path through a Convex target (embedded or
 * http: anything that runs a query by path with an admin/deploy key). The
 * arguments are checked here exactly as the Postgres reads check them, and the
 * mapped values coming back are turned into the Postgres reads' JSON
 * (timestamps as ISO strings, story JSON decoded), so both implementations
 * give deep-equal results, and the same NotFoundError / InvalidInputError, for
 * the same rows.
 */
import type { ParityReader } from 'tandem';
import { NotFoundError } from 'tandem';
import { requireId, requireKey } from './arguments.js';
import { convexMonthlyStats } from './cx/monthlyStats.js';
import { CONVEX_READ_PATHS as PATHS } from './cx/paths.js';
import { isoFromMillis, storyJson } from './cx/values.js';
import type {
  AvatarMappingItem,
  CourseStories,
  DoneStory,
  EditorCourseItem,
  EditorCourseView,
  Image,
  Language,
  PublicCourseList,
  ReadPaths,
  StoryDetail,
} from './types.js';

/** What ConvexReadPaths needs of a Convex target: running a query by path. */
export type ConvexQueryRunner = Pick<ParityReader, 'query'>;

type Stored<T, Timestamps extends keyof T> = Omit<T, Timestamps> & { [K in Timestamps]: number | null };

/** A Convex read answers null for a missing row; the Postgres read's NotFoundError for it. */
function found<T>(value: T | null, entity: string, key: unknown, field: string): T {
  if (value === null) throw new NotFoundError(entity, key, field);
  return value;
}

export class ConvexReadPaths implements ReadPaths {
  constructor(private readonly convex: ConvexQueryRunner) {}

  private call<T>(path: string, args: Record<string, unknown> = {}): Promise<T> {
    return this.convex.query(path, args) as Promise<T>;
  }

  publicCourses(): Promise<PublicCourseList> {
    return this.call(PATHS.publicCourses);
  }

  async courseStories(short: string): Promise<CourseStories> {
    const key = requireKey('short', short, 20);
    type Page = Omit<CourseStories, 'stories'> & {
      stories: Array<Stored<CourseStories['stories'][number], 'date_published'>>;
    };
    const page = found(await this.call<Page | null>(PATHS.courseStories, { short: key }), 'course', key, 'short');
    return {
      course: page.course,
      stories: page.stories.map((s) => ({ ...s, date_published: isoFromMillis(s.date_published) })),
    };
  }

  async storyById(id: number): Promise<StoryDetail> {
    const storyId = requireId('id', id);
    type Story = Stored<StoryDetail, 'date' | 'change_date' | 'date_published'>;
    const story = found(await this.call<Story | null>(PATHS.storyById, { id: storyId }), 'story', storyId, 'id');
    return {
      ...story,
      date: isoFromMillis(story.date),
      change_date: isoFromMillis(story.change_date),
      date_published: isoFromMillis(story.date_published),
      json: storyJson(story.json),
    };
  }

  async userDoneStories(userId: number, courseId: number): Promise<DoneStory[]> {
    const args = { userId: requireId('userId', userId), courseId: requireId('courseId', courseId) };
    const done = await this.call<Array<Stored<DoneStory, 'time'>>>(PATHS.userDoneStories, args);
    return done.map((d) => ({ story_id: d.story_id, time: isoFromMillis(d.time) }));
  }

  editorCourses(): Promise<EditorCourseItem[]> {
    return this.call(PATHS.editorCourses);
  }

  async editorCourse(id: number): Promise<EditorCourseView> {
    const courseId = requireId('id', id);
    type View = Omit<EditorCourseView, 'stories'> & {
      stories: Array<Stored<EditorCourseView['stories'][number], 'change_date'>>;
    };
    const view = found(await this.call<View | null>(PATHS.editorCourse, { id: courseId }), 'course', courseId, 'id');
    return {
      course: view.course,
      stories: view.stories.map((s) => ({ ...s, change_date: isoFromMillis(s.change_date) })),
    };
  }

  monthlyStats(year: number, month: number) {
    return convexMonthlyStats(this.convex, year, month);
  }

  async localization(languageId: number): Promise<Record<string, string>> {
    const id = requireId('languageId', languageId);
    const entries = found(
      await this.call<Array<[string, string]> | null>(PATHS.localization, { languageId: id }),
      'language',
      id,
      'languageId',
    );
    // fromEntries defines own properties, so a tag such as "__proto__" stays an ordinary key.
    return Object.fromEntries(entries);
  }

  async languageById(id: number): Promise<Language> {
    const languageId = requireId('id', id);
    return found(await this.call<Language | null>(PATHS.languageById, { id: languageId }), 'language', languageId, 'id');
  }

  async imageById(id: string): Promise<Image> {
    const imageId = requireKey('id', id, 50);
    return found(await this.call<Image | null>(PATHS.imageById, { id: imageId }), 'image', imageId, 'id');
  }

  async avatarMappings(languageId: number): Promise<AvatarMappingItem[]> {
    const id = requireId('languageId', languageId);
    const mappings = await this.call<AvatarMappingItem[] | null>(PATHS.avatarMappings, { languageId: id });
    return found(mappings, 'language', id, 'languageId');
  }
}
