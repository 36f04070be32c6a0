/**
 * How many rows `tandem sample` generates at a given scale. The generator
 * produces exactly these counts, so tests and benchmarks can rely on them.
 * Scale 1 matches the sizes named in the brief; every table gets at least a
 * few rows at any positive scale.
 */
import { InvalidInputError } from 'tandem';
import type { AppTable } from '../schema.js';

export type SampleTable = AppTable | 'users';
export type SampleCounts = Record<SampleTable, number>;

/** Localization tags per language, speakers per language, languages per avatar. */
export const TAGS_PER_LANGUAGE = 20;
export const SPEAKERS_PER_LANGUAGE = 3;
export const MAPPINGS_PER_AVATAR = 5;
/** Courses are taught from the first few languages only (as on the real site). */
export const FROM_LANGUAGE_POOL = 5;

export const MAX_SCALE = 1000;

const scaled = (base: number, scale: number, min: number): number =>
  Math.max(min, Math.round(base * scale));

export function validateScale(scale: number): void {
  if (!Number.isFinite(scale) || scale <= 0)
    throw new InvalidInputError('scale', 'must be a positive number');
  if (scale > MAX_SCALE) throw new InvalidInputError('scale', `must be at most ${MAX_SCALE}`);
}

export function validateSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0x7fffffff) {
    throw new InvalidInputError('seed', 'must be an integer from 0 to 2147483647');
  }
}

export function plannedCounts(scale: number): SampleCounts {
  validateScale(scale);
  const language = scaled(100, scale, 8);
  const avatar = scaled(200, scale, 5);
  return {
    users: scaled(1000, scale, 10),
    language,
    localization: language * TAGS_PER_LANGUAGE,
    image: scaled(650, scale, 10),
    avatar,
    speaker: language * SPEAKERS_PER_LANGUAGE,
    avatar_mapping: avatar * MAPPINGS_PER_AVATAR,
    // At most FROM_LANGUAGE_POOL * (language - 1) distinct pairs exist; 50:100 stays far below.
    course: scaled(50, scale, 4),
    story: scaled(2000, scale, 20),
    story_approval: scaled(5000, scale, 40),
    story_done: scaled(100_000, scale, 100),
  };
}
