/**
 * Story bodies: `text` of 5–50 KB and a `json` document of up to a few hundred
 * KB nested up to depth 10 (the shapes the real site stores, and the sizes that
 * exercise Convex's document limits and the heavy-column handling). Depth stays
 * at 10 or less, well inside Convex's 16.
 */
import type { SampleRandom } from './random.js';

export const TEXT_CHARS = { min: 5_000, max: 50_000 } as const;
export const JSON_MAX_DEPTH = 10;

export interface StoryContext {
  storyId: number;
  setId: number;
  setIndex: number;
  learningShort: string;
  fromLanguageName: string;
  learningWords: readonly string[];
  fromWords: readonly string[];
}

function sentence(rand: SampleRandom, words: readonly string[], min: number, max: number): string {
  const count = rand.int(min, max);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) parts.push(rand.pick(words));
  return parts.join(' ');
}

/** Lines in the learning language, each followed by a `~` translation line. */
export function storyText(rand: SampleRandom, ctx: StoryContext): string {
  const target = rand.int(TEXT_CHARS.min, TEXT_CHARS.max);
  const lines = [`[DATA]`, `set=${ctx.setId}|${ctx.setIndex}`, `lang=${ctx.learningShort}`, ''];
  let size = lines.join('\n').length;
  while (size < target) {
    const line = `> Speaker${rand.int(1, 6)}: ${sentence(rand, ctx.learningWords, 3, 14)}.`;
    const translation = `~ ${sentence(rand, ctx.fromWords, 3, 14)}`;
    lines.push(line, translation);
    size += line.length + translation.length + 2;
  }
  return lines.join('\n').slice(0, target);
}

function jsonTargetChars(rand: SampleRandom): number {
  const roll = rand.int(1, 100);
  if (roll <= 70) return rand.int(5_000, 60_000);
  if (roll <= 95) return rand.int(60_000, 150_000);
  return rand.int(150_000, 400_000);
}

/** Nesting `levels` objects deep (depth = levels). */
function nestedNote(
  rand: SampleRandom,
  ctx: StoryContext,
  levels: number,
): Record<string, unknown> {
  const note: Record<string, unknown> = {
    level: levels,
    text: sentence(rand, ctx.fromWords, 2, 6),
  };
  if (levels > 1) note.next = nestedNote(rand, ctx, levels - 1);
  return note;
}

/** One story line; depth 6 (element → line → content → audio → keypoints → keypoint). */
function lineElement(
  rand: SampleRandom,
  ctx: StoryContext,
  index: number,
): Record<string, unknown> {
  const text = sentence(rand, ctx.learningWords, 4, 16);
  const keypoints = [];
  let at = 0;
  for (let k = rand.int(1, 8); k > 0; k--) {
    at += rand.int(1, 12);
    keypoints.push({ rangeEnd: at, audioStart: at * 90 + rand.int(0, 80) });
  }
  return {
    type: 'LINE',
    trackingProperties: { line_index: index },
    line: {
      characterId: rand.int(1, 40),
      content: {
        text,
        translation: sentence(rand, ctx.fromWords, 4, 16),
        hideRangesForChallenge: rand.chance(0.3)
          ? [{ start: 0, end: Math.min(5, text.length) }]
          : [],
        audio: { url: `audio/${ctx.storyId}/${index}.mp3`, keypoints },
      },
    },
  };
}

/** The story's JSON document, serialized (what goes into the jsonb column). */
export function storyJson(rand: SampleRandom, ctx: StoryContext): string {
  const target = jsonTargetChars(rand);
  const depth = rand.int(8, JSON_MAX_DEPTH);
  const elements: unknown[] = [];
  const doc = {
    fromLanguageName: ctx.fromLanguageName,
    learningLanguage: ctx.learningShort,
    meta: { setId: ctx.setId, setIndex: ctx.setIndex, version: rand.int(1, 5) },
    // root object (1) + `depth - 1` nested notes = `depth`; elements reach 1 + 1 + 6 = 8.
    notes: nestedNote(rand, ctx, depth - 1),
    elements,
  };
  let size = JSON.stringify(doc).length;
  while (size < target) {
    const element = lineElement(rand, ctx, elements.length);
    elements.push(element);
    size += JSON.stringify(element).length + 1;
  }
  return JSON.stringify(doc);
}

/** Depth of a JSON value: a scalar is 0, an object or array is 1 + its deepest child. */
export function jsonDepth(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let deepest = 0;
  for (const child of Object.values(value as Record<string, unknown>))
    deepest = Math.max(deepest, jsonDepth(child));
  return 1 + deepest;
}
