/**
 * The story site's read paths (DOMAIN.md, read paths 1–7) as one interface, so
 * the read router can serve each from Postgres or from Convex and shadow-compare
 * them. Results are plain JSON values: timestamps as ISO-8601 strings (UTC),
 * counts as numbers, column names as in Postgres. Implementations throw
 * NotFoundError for a missing row and InvalidInputError for a bad argument.
 *
 * "Not deleted" means `deleted IS NOT TRUE` and "public" means `public IS TRUE`:
 * both story columns are nullable, and a NULL is read as the column default
 * (false).
 */

export type StoryStatus = 'draft' | 'feedback' | 'finished';

/** A course as the public site lists it. `name` falls back to `learning_language_name`. */
export interface PublicCourse {
  id: number;
  short: string | null;
  name: string | null;
  learning_language: number | null;
  from_language: number | null;
  learning_language_name: string | null;
  from_language_name: string | null;
  official: boolean;
  conlang: boolean | null;
  tags: string[] | null;
  about: string | null;
  count: number | null;
}

export interface PublicCourseList {
  /** Public courses ordered by `from_language_name`, then name, then id. */
  courses: PublicCourse[];
  /** Number of public courses, and of public non-deleted stories in them. */
  totals: { courses: number; stories: number };
}

/** The course shown above a course page (public or not: visibility is the caller's policy). */
export interface CourseDetail extends PublicCourse {
  public: boolean;
  contributors: string[];
  contributors_past: string[];
}

export interface CourseStoryItem {
  id: number;
  name: string | null;
  set_id: number;
  set_index: number;
  image: string | null;
  date_published: string | null;
  duo_id: string | null;
}

export interface CourseStories {
  course: CourseDetail;
  /** Public, non-deleted stories ordered by `set_id`, `set_index`, then id. */
  stories: CourseStoryItem[];
}

export interface StoryDetail {
  id: number;
  duo_id: string | null;
  name: string | null;
  set_id: number;
  set_index: number;
  author: number | null;
  author_change: number | null;
  date: string | null;
  change_date: string | null;
  date_published: string | null;
  text: string | null;
  public: boolean | null;
  image: string | null;
  course_id: number | null;
  json: unknown;
  status: StoryStatus | null;
  deleted: boolean | null;
  todo_count: number;
  /** The story's course's language ids (null when the story has no course). */
  learning_language: number | null;
  from_language: number | null;
}

export interface DoneStory {
  story_id: number;
  /** Latest time the user finished the story. */
  time: string | null;
}

export interface EditorCourseItem {
  id: number;
  short: string | null;
  name: string | null;
  learning_language: number | null;
  from_language: number | null;
  learning_language_name: string | null;
  from_language_name: string | null;
  public: boolean;
  official: boolean;
  count: number | null;
  todo_count: number;
}

export interface EditorStoryItem {
  id: number;
  duo_id: string | null;
  name: string | null;
  image: string | null;
  set_id: number;
  set_index: number;
  status: StoryStatus | null;
  public: boolean | null;
  /** Number of story_approval rows of the story. */
  approvals: number;
  todo_count: number;
  author_change: number | null;
  change_date: string | null;
}

export interface EditorCourseView {
  course: CourseDetail & { todo_count: number };
  /** Every non-deleted story of the course, ordered by `set_id`, `set_index`, then id. */
  stories: EditorStoryItem[];
}

export interface CourseMonthStats {
  course_id: number;
  short: string | null;
  /** Public non-deleted stories whose `date_published` falls in the month. */
  published: number;
  /** story_done rows in the month. */
  read: number;
  /** Distinct non-null user ids among those rows. */
  active_users: number;
  /** Distinct story ids among those rows. */
  stories_read: number;
}

export interface MonthlyStats {
  year: number;
  month: number;
  /** Month boundaries in UTC: `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  /** Courses with anything published or read in the month, ordered by course id. */
  courses: CourseMonthStats[];
  /** Site-wide: sums for published/read, distinct counts for users and stories. */
  totals: { published: number; read: number; active_users: number; stories_read: number };
}

export interface Language {
  id: number;
  name: string;
  short: string;
  flag: number | null;
  flag_file: string | null;
  speaker: string | null;
  default_text: string | null;
  tts_replace: string | null;
  public: boolean;
  rtl: boolean;
}

export interface Image {
  id: string;
  active: string;
  gilded: string;
  locked: string;
  active_lip: string;
  gilded_lip: string;
}

export interface AvatarMappingItem {
  id: number;
  avatar_id: number;
  language_id: number;
  name: string | null;
  speaker: string | null;
  /** The avatar's own link and name. */
  link: string;
  avatar_name: string | null;
}

export interface ReadPaths {
  publicCourses(): Promise<PublicCourseList>;
  courseStories(short: string): Promise<CourseStories>;
  storyById(id: number): Promise<StoryDetail>;
  /** Distinct stories of the course the user finished, ordered by story id. */
  userDoneStories(userId: number, courseId: number): Promise<DoneStory[]>;
  /** Every course, ordered by `from_language_name`, then name, then id. */
  editorCourses(): Promise<EditorCourseItem[]>;
  editorCourse(id: number): Promise<EditorCourseView>;
  monthlyStats(year: number, month: number): Promise<MonthlyStats>;
  /** The language's localization dictionary; NotFoundError for an unknown language. */
  localization(languageId: number): Promise<Record<string, string>>;
  languageById(id: number): Promise<Language>;
  imageById(id: string): Promise<Image>;
  /** The language's avatar mappings ordered by avatar id; NotFoundError for an unknown language. */
  avatarMappings(languageId: number): Promise<AvatarMappingItem[]>;
}
