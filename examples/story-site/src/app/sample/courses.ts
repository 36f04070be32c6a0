/**
 * Courses: one per (learning, from) language pair, taught from the first few
 * languages. `short` and the two language names follow write path 8; the
 * aggregates (`count`, `todo_count`) and contributor lists are filled in at the
 * end from the stories and approvals actually generated (see finish.ts).
 */
import type { Queryable } from 'tandem';
import { BatchInsert } from './batchInsert.js';
import type { SampleLanguage } from './lookups.js';
import { FROM_LANGUAGE_POOL, type SampleCounts } from './plan.js';
import type { Progress } from './progress.js';
import { SampleRandom, STREAMS } from './random.js';
import { COURSE_TAGS, CONLANGS, wordsFor } from './vocabulary.js';

export interface SampleCourse {
  id: number;
  short: string;
  learning: SampleLanguage;
  from: SampleLanguage;
}

/** The k-th course's language pair; distinct pairs for k < pool * (languages - 1). */
export function coursePair(k: number, languageCount: number): { learning: number; from: number } {
  const pool = Math.min(FROM_LANGUAGE_POOL, languageCount);
  const from = k % pool;
  const learning = (from + 1 + Math.floor(k / pool)) % languageCount;
  return { learning, from };
}

export async function insertCourses(
  db: Queryable,
  seed: number,
  counts: SampleCounts,
  languages: readonly SampleLanguage[],
  progress: Progress,
): Promise<SampleCourse[]> {
  const rand = SampleRandom.stream(seed, STREAMS.course);
  const courses: SampleCourse[] = [];
  const batch = new BatchInsert(
    db,
    'course',
    [
      'id',
      'short',
      'learning_language',
      'from_language',
      'public',
      'official',
      'name',
      'about',
      'conlang',
      'tags',
      'learning_language_name',
      'from_language_name',
    ],
    { onFlush: (n) => progress('course', n) },
  );
  for (let k = 0; k < counts.course; k++) {
    const pair = coursePair(k, languages.length);
    const learning = languages[pair.learning]!;
    const from = languages[pair.from]!;
    const course: SampleCourse = {
      id: k + 1,
      short: `${learning.short}-${from.short}`,
      learning,
      from,
    };
    const words = wordsFor(from.script);
    await batch.add([
      course.id,
      course.short,
      learning.id,
      from.id,
      rand.chance(0.8),
      rand.chance(0.3),
      rand.maybe(0.5, () => learning.name),
      rand.maybe(0.4, () =>
        Array.from({ length: rand.int(5, 30) }, () => rand.pick(words)).join(' '),
      ),
      CONLANGS.has(learning.short) ? true : rand.maybe(0.2, () => false),
      rand.maybe(0.3, () => COURSE_TAGS.filter(() => rand.chance(0.3))),
      learning.name,
      from.name,
    ]);
    courses.push(course);
  }
  await batch.flush();
  return courses;
}
