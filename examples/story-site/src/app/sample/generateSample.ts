/**
 * `tandem sample`: fills the story site's ten tables (and the minimal legacy
 * `users`) with deterministic generated data. The same seed and scale always
 * give the same rows; the only exception is the contributor split, which is
 * relative to `referenceDate` (default: now), like write path 4.
 *
 * Rows are generated and inserted batch by batch, each batch its own statement
 * (no single huge transaction), so memory stays bounded at any scale. A run that
 * fails half-way leaves a partly filled database: rerun with `force`.
 */
import { ConflictError } from 'tandem';
import type { Queryable } from 'tandem';
import type { UserDirectory } from '../ports.js';
import { APP_TABLES, createAppSchema } from '../schema.js';
import { SampleUserDirectory } from '../userDirectory.js';
import { quoteIdent } from './batchInsert.js';
import { insertCourses } from './courses.js';
import { advanceSequences, updateContributors, updateCourseAggregates } from './finish.js';
import { insertSampleUsers, legacyUsersPresent, resetSampleTables } from './legacyUsers.js';
import {
  insertAvatarMappings,
  insertAvatars,
  insertImages,
  insertLanguages,
  insertLocalizations,
  insertSpeakers,
} from './lookups.js';
import { plannedCounts, validateSeed, type SampleCounts, type SampleTable } from './plan.js';
import { insertStories } from './stories.js';
import { insertStoryDone } from './storyDone.js';

export const DEFAULT_SEED = 1;

export interface SampleProgressEvent {
  table: SampleTable;
  inserted: number;
  planned: number;
}

export interface SampleOptions {
  scale: number;
  seed?: number;
  /** Empty the ten tables and `users` first when they hold rows. */
  force?: boolean;
  onProgress?: (event: SampleProgressEvent) => void;
  /** "Now" for the contributors / contributors_past split (default: the current time). */
  referenceDate?: Date;
  /** Display names for contributor lists (default: the sample naming rule). */
  users?: UserDirectory;
}

/** The first table that already holds rows, or null when all are empty. */
export async function firstNonEmptyTable(db: Queryable): Promise<string | null> {
  for (const table of APP_TABLES) {
    const { rows } = await db.query<{ present: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${quoteIdent(table)}) AS present`,
    );
    if (rows[0]?.present) return table;
  }
  return (await legacyUsersPresent(db)) ? 'users' : null;
}

export async function generateSample(db: Queryable, options: SampleOptions): Promise<SampleCounts> {
  const counts = plannedCounts(options.scale);
  const seed = options.seed ?? DEFAULT_SEED;
  validateSeed(seed);
  await createAppSchema(db);
  const occupied = await firstNonEmptyTable(db);
  if (occupied !== null && !options.force) {
    throw new ConflictError(
      `table "${occupied}" already holds rows; tandem sample only fills empty tables (--force empties the ten tables and users, then regenerates)`,
    );
  }
  if (occupied !== null) await resetSampleTables(db);

  const inserted = {} as SampleCounts;
  const progress = (table: SampleTable, n: number) => {
    inserted[table] = n;
    options.onProgress?.({ table, inserted: n, planned: counts[table] });
  };

  progress('users', await insertSampleUsers(db, 1, counts.users));
  const languages = await insertLanguages(db, seed, counts, progress);
  const imageIds = await insertImages(db, seed, counts, progress);
  await insertAvatars(db, seed, counts, progress);
  await insertSpeakers(db, seed, languages, progress);
  await insertLocalizations(db, seed, languages, progress);
  await insertAvatarMappings(db, seed, counts, languages, progress);
  const courses = await insertCourses(db, seed, counts, languages, progress);
  await insertStories(db, { seed, counts, courses, imageIds }, progress);
  await insertStoryDone(db, seed, counts, progress);

  await updateCourseAggregates(db);
  await updateContributors(
    db,
    courses.map((c) => c.id),
    options.users ?? new SampleUserDirectory(),
    options.referenceDate ?? new Date(),
  );
  await advanceSequences(db);

  for (const table of Object.keys(counts) as SampleTable[]) {
    if (inserted[table] !== counts[table]) {
      throw new Error(
        `sample generator bug: ${table} got ${inserted[table]} rows, planned ${counts[table]}`,
      );
    }
  }
  return inserted;
}
