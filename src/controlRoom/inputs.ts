/** The control room's request bodies and query strings, validated with zod; the first bad field is named. */
import { z } from 'zod';
import { InvalidInputError } from '../core/errors.js';
import { READ_STAGES } from '../cutover/readStages.js';
import { METRICS, WINDOWS } from './metricStore.js';

const reason = z
  .string({ error: 'is required: say why (recorded in the audit log)' })
  .trim()
  .min(1, 'must not be empty')
  .max(1000);

export const setFlagBody = z
  .object({
    stage: z.enum(READ_STAGES, { error: `must be one of ${READ_STAGES.join(', ')}` }),
    percent: z.number({ error: 'must be a number' }).min(0).max(100).optional(),
    reason,
    force: z.boolean({ error: 'must be true or false' }).optional(),
  })
  .strict();

export const rollbackBody = z.object({ reason }).strict();

export const discardBody = z.object({ reason: z.string().trim().max(1000).optional() }).strict();

const limit = (max: number, fallback: number) =>
  z.coerce
    .number({ error: 'must be a positive integer' })
    .int('must be a positive integer')
    .min(1)
    .max(max)
    .default(fallback);

export const seriesQuery = z
  .object({
    metric: z.enum(METRICS, { error: `must be one of ${METRICS.join(', ')}` }),
    window: z.enum(WINDOWS, { error: `must be one of ${WINDOWS.join(', ')}` }).default('1h'),
    table: z.string().min(1).optional(),
  })
  .strict();

export const tableLimitQuery = z
  .object({ table: z.string().min(1).optional(), limit: limit(1000, 100) })
  .strict();
export const limitQuery = z.object({ limit: limit(1000, 100) }).strict();

/** Validates `input`, or throws InvalidInputError naming the first bad field. */
export function parseRequest<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: 'body' | 'query',
): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field =
    issue.path.length > 0
      ? issue.path.join('.')
      : issue.code === 'unrecognized_keys'
        ? issue.keys.join(',')
        : `(${what})`;
  const message = issue.code === 'unrecognized_keys' ? `unknown ${what} field` : issue.message;
  throw new InvalidInputError(field, message);
}
