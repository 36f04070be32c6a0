/**
 * The story site's reads through the read cutover's router: each read path
 * with the tables it reads (docs/story-site-reads.md), so a read runs at the
 * most conservative stage among them; the caller is the API's actor (its
 * legacy user id keys the sticky buckets; editors and admins are the internal
 * users of `convex-internal`).
 */
import { Reader, routedReads, type ReaderOptions, type ReadSource } from 'tandem';
import type { Actor } from '../ports.js';
import { compareMonthlyStats, toleranceForInFlight } from './statsTolerance.js';
import type { ReadPaths } from './types.js';

/** The tables each read path reads, in both stores. */
export const READ_PATH_TABLES: { [K in keyof ReadPaths]: readonly string[] } = {
  publicCourses: ['course', 'story'],
  courseStories: ['course', 'story'],
  storyById: ['story', 'course'],
  userDoneStories: ['story', 'story_done'],
  editorCourses: ['course'],
  editorCourse: ['course', 'story', 'story_approval'],
  monthlyStats: ['story_done', 'story', 'course'],
  localization: ['localization'],
  languageById: ['language'],
  imageById: ['image'],
  avatarMappings: ['avatar_mapping', 'avatar'],
};

export function storySiteReader(options: Omit<ReaderOptions<Actor>, 'userId' | 'isInternal'>): Reader<Actor> {
  return new Reader<Actor>({
    ...options,
    userId: (actor) => actor.userId,
    isInternal: (actor) => actor.role === 'editor' || actor.role === 'admin',
  });
}

/** Per-request read paths routed between the two implementations (the API's `readRouting`). */
export function storySiteReadRouting(
  reader: Reader<Actor>,
  reads: { postgres: ReadPaths; convex: ReadPaths },
  /** The share of each read path's shadow-stage calls that also read Convex (default: the reader's). */
  sampleRate: { [K in keyof ReadPaths]?: number } = {},
): (context: { user: Actor | null; onServed: (served: { source: ReadSource }) => void }) => ReadPaths {
  const route = routedReads<ReadPaths, Actor>(reader, {
    ...reads,
    tables: READ_PATH_TABLES,
    sampleRate,
    // The stats page is compared with its stated tolerance while events are in flight.
    compare: {
      monthlyStats: (postgres, convex, { changesInFlight }) => {
        const result = compareMonthlyStats(postgres, convex, toleranceForInFlight(changesInFlight));
        return result.ok ? { ok: true } : { ok: false, detail: JSON.stringify(result) };
      },
    },
  });
  return ({ user, onServed }) => route({ user, onServed });
}
