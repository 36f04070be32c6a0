/**
 * Input schemas of the write paths. Limits follow the columns they land in
 * (varchar lengths, int4 range), so bad input is refused with the field named
 * before any SQL runs, instead of surfacing as a Postgres error mid-transaction.
 * Field names are the Postgres column names.
 */
import { z } from 'zod';
import { InvalidInputError } from 'tandem';
import { documentSizeProblem, fitJsonValue, textProblem } from './convexFit.js';

const INT4_MAX = 2_147_483_647;

export const id = z.number().int().positive().max(INT4_MAX);
const int4 = z.number().int().min(-INT4_MAX - 1).max(INT4_MAX);

/**
 * Postgres text cannot hold NUL and Convex cannot hold a lone surrogate (the
 * driver would store U+FFFD instead): refusing both here names the field.
 */
function text(max?: number) {
  let s = z.string().superRefine((v, ctx) => {
    const problem = textProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  if (max !== undefined) s = s.refine((v) => v.length <= max, `must be at most ${max} characters`);
  return s;
}
const nonEmpty = (max: number) => text(max).refine((v) => v.trim().length > 0, 'must not be empty');
const optionalText = (max?: number) => text(max).nullable().optional();

/** A story's json, checked by the mapping the relay will apply to it. */
const jsonDocument = z.unknown().superRefine((value, ctx) => {
  const fit = fitJsonValue('json', value);
  if (!fit.ok) ctx.addIssue({ code: 'custom', message: fit.message });
});

export const saveStoryInput = z
  .object({
    id: id.optional(),
    duo_id: optionalText(50),
    name: optionalText(255),
    image: optionalText(50),
    set_id: int4,
    set_index: int4,
    course_id: id,
    text: optionalText(),
    json: jsonDocument.optional(),
    todo_count: z.number().int().min(0).max(INT4_MAX).default(0),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.id === undefined && (v.duo_id === undefined || v.duo_id === null)) {
      ctx.addIssue({ code: 'custom', path: ['duo_id'], message: 'is required when no id is given' });
    }
    // text and json share one Convex document (the story's heavy columns).
    const fit = v.json === undefined ? undefined : fitJsonValue('json', v.json);
    const problem = documentSizeProblem({ text: v.text ?? null, json: fit?.ok ? fit.value : null });
    if (problem) {
      const field = (v.text?.length ?? 0) >= jsonLength(v.json) ? 'text' : 'json';
      ctx.addIssue({ code: 'custom', path: [field], message: `with ${field === 'text' ? 'json' : 'text'}: ${problem}` });
    }
  });

/** Rough size of a json value, to blame the larger of text and json for a document too large. */
function jsonLength(value: unknown): number {
  return value === undefined ? 0 : (JSON.stringify(value)?.length ?? 0);
}
export type SaveStoryInput = z.infer<typeof saveStoryInput>;

export const storyRef = z.object({ id }).strict();
export const importStoryInput = z.object({ story_id: id, course_id: id }).strict();
export const approvalRef = z.object({ story_id: id }).strict();
export const recordStoryDoneInput = z.object({ story_id: id }).strict();

const tagList = z.array(text(20)).max(50);
export const saveCourseInput = z
  .object({
    id: id.optional(),
    learning_language: id,
    from_language: id,
    public: z.boolean().default(false),
    official: z.boolean().default(false),
    conlang: z.boolean().default(false),
    name: optionalText(255),
    about: optionalText(100_000),
    tags: z.union([text(2000), tagList]).nullable().optional(),
  })
  .strict();
export type SaveCourseInput = z.infer<typeof saveCourseInput>;

export const saveLanguageInput = z
  .object({
    id: id.optional(),
    name: nonEmpty(100),
    short: nonEmpty(10),
    flag: z.number().finite().nullable().optional(),
    flag_file: optionalText(50),
    speaker: optionalText(50),
    default_text: optionalText(100),
    tts_replace: optionalText(100_000),
    public: z.boolean().default(false),
    rtl: z.boolean().default(false),
  })
  .strict();
export type SaveLanguageInput = z.infer<typeof saveLanguageInput>;

export const languageDefaultTextInput = z.object({ id, default_text: optionalText(100) }).strict();
export const languageTtsReplaceInput = z.object({ id, tts_replace: optionalText(100_000) }).strict();

export const avatarSpeakerInput = z
  .object({
    avatar_id: id,
    language_id: id,
    name: optionalText(100),
    speaker: optionalText(100),
  })
  .strict();

export const localizationInput = z
  .object({ language_id: id, tag: nonEmpty(100), text: text(100_000) })
  .strict();

export const saveImageInput = z
  .object({
    id: nonEmpty(50),
    active: text(255),
    gilded: text(255),
    locked: text(255),
    active_lip: text(6),
    gilded_lip: text(6),
  })
  .strict();

export const saveAvatarInput = z
  .object({ id: id.optional(), link: nonEmpty(100), name: optionalText(100) })
  .strict();

export const GENDERS = ['MALE', 'FEMALE'] as const;
export const VOICE_TYPES = ['NORMAL', 'NEURAL'] as const;
export const saveSpeakerInput = z
  .object({
    id: id.optional(),
    language_id: id,
    speaker: nonEmpty(50),
    gender: z.enum(GENDERS),
    type: z.enum(VOICE_TYPES),
    service: nonEmpty(50),
  })
  .strict();

/** Validates `input` against `schema`, or throws InvalidInputError naming the first bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? issue.path.join('.') : fieldOfUnrecognizedKeys(issue);
  return failWith(field, issue.message);
}

function fieldOfUnrecognizedKeys(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return issue.keys.join(',');
  return '(input)';
}

function failWith(field: string, message: string): never {
  throw new InvalidInputError(field, message);
}
