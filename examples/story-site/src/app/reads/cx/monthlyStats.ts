/**
 * Monthly stats from Convex: the month's `story_done` rows page by page
 * (convex/reads/stats.ts says why pages), merged here, then one summary call for
 * the published counts and course shorts. Distinct users and stories are
 * merged as sets, so the figures are exact once the mirror has caught up; while
 * events are in flight each page sees its own snapshot (statsTolerance.ts).
 */
import type { ParityReader } from 'tandem';
import { monthRange } from '../arguments.js';
import type { CourseMonthStats, MonthlyStats } from '../types.js';
import { CONVEX_READ_PATHS } from './paths.js';

/** story_done rows per Convex call (the query caps it at 4,000). */
export const MONTH_PAGE_ROWS = 2000;

interface CourseReadsPage {
  courses: Array<{ course_id: number; read: number; users: number[]; stories: number[] }>;
  isDone: boolean;
  continueCursor: string;
}

interface CourseSummary {
  course_id: number;
  short: string | null;
  published: number;
}

interface MergedReads {
  read: number;
  users: Set<number>;
  stories: Set<number>;
}

async function mergedMonthReads(reader: Pick<ParityReader, 'query'>, from: number, to: number) {
  const byCourse = new Map<number, MergedReads>();
  let cursor: string | null = null;
  for (;;) {
    const page = (await reader.query(CONVEX_READ_PATHS.monthReadsPage, {
      from,
      to,
      cursor,
      numItems: MONTH_PAGE_ROWS,
    })) as CourseReadsPage;
    for (const c of page.courses) {
      let merged = byCourse.get(c.course_id);
      if (!merged) byCourse.set(c.course_id, (merged = { read: 0, users: new Set(), stories: new Set() }));
      merged.read += c.read;
      for (const u of c.users) merged.users.add(u);
      for (const s of c.stories) merged.stories.add(s);
    }
    if (page.isDone) return byCourse;
    cursor = page.continueCursor;
  }
}

export async function convexMonthlyStats(
  reader: Pick<ParityReader, 'query'>,
  year: unknown,
  month: unknown,
): Promise<MonthlyStats> {
  const range = monthRange(year, month);
  const [from, to] = [Date.parse(range.from), Date.parse(range.to)];
  const reads = await mergedMonthReads(reader, from, to);
  const summary = (await reader.query(CONVEX_READ_PATHS.monthSummary, {
    from,
    to,
    readCourseIds: [...reads.keys()],
  })) as CourseSummary[];
  const courses: CourseMonthStats[] = summary.map((c) => {
    const r = reads.get(c.course_id);
    return {
      course_id: c.course_id,
      short: c.short,
      published: c.published,
      read: r?.read ?? 0,
      active_users: r?.users.size ?? 0,
      stories_read: r?.stories.size ?? 0,
    };
  });
  // Site-wide figures count every read of a story with a course, as the Postgres read does.
  const users = new Set<number>();
  const stories = new Set<number>();
  let read = 0;
  for (const r of reads.values()) {
    read += r.read;
    for (const u of r.users) users.add(u);
    for (const s of r.stories) stories.add(s);
  }
  return {
    year: year as number,
    month: month as number,
    from: range.from,
    to: range.to,
    courses,
    totals: {
      published: courses.reduce((sum, c) => sum + c.published, 0),
      read,
      active_users: users.size,
      stories_read: stories.size,
    },
  };
}
