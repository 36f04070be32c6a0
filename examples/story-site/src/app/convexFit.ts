/**
 * Input checks against the rules the relay maps by (src/mapping), so the API
 * refuses what Convex could not store instead of committing it to Postgres
 * and leaving a dead letter and permanent drift behind. The limits are not
 * restated here: a value is run through the mapping itself and its
 * MappingError (rule and detail) becomes the message.
 */
import {
  DOCUMENT_SIZE_MARGIN,
  MAX_DOCUMENT_BYTES,
  MappingError,
  contentDocumentBytes,
  encodeJsonValue,
  isWellFormedString,
} from 'tandem';

/** Where an input value is checked; only its column shows in a message. */
const INPUT_SITE = { table: '(input)', key: '(input)' };

/**
 * What JSON.parse can produce that jsonb or Convex cannot hold, found before
 * the mapping sees it: NUL in a string or key (jsonb refuses `\u0000`) and
 * numbers that overflowed to ±Infinity (`1e400`; jsonb would print them as null).
 */
function jsonInputProblem(value: unknown): string | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return 'must not contain NUL characters';
    } else if (typeof item === 'number') {
      if (!Number.isFinite(item)) return 'has a number too large for a double (it overflows to infinity)';
    } else if (Array.isArray(item)) {
      stack.push(...item);
    } else if (item !== null && typeof item === 'object') {
      for (const [key, field] of Object.entries(item)) {
        if (key.includes('\u0000')) return 'must not contain NUL characters';
        stack.push(key, field);
      }
    } else if (typeof item !== 'boolean' && item !== null) {
      return 'must be a JSON value';
    }
  }
  return undefined;
}

export type FitResult = { ok: true; value: unknown } | { ok: false; message: string };

/** A JSON document for a json/jsonb column, mapped as the relay will map it. */
export function fitJsonValue(column: string, value: unknown): FitResult {
  const problem = jsonInputProblem(value);
  if (problem) return { ok: false, message: problem };
  try {
    // Level 1 is the document holding the column, as in mapColumnValue.
    return { ok: true, value: encodeJsonValue(value, { ...INPUT_SITE, column }, 1) };
  } catch (err) {
    if (err instanceof MappingError) return { ok: false, message: violation(err) };
    throw err;
  }
}

export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (!isWellFormedString(value))
    return "violates Convex's string-utf8 rule: has a lone UTF-16 surrogate";
  return undefined;
}

/**
 * Bytes of a document holding `columns` (mapped values) as Convex will count
 * them, or a message when that exceeds the mapping's document limit (1 MiB
 * less the margin it keeps for the system and reference fields).
 */
export function documentSizeProblem(columns: Record<string, unknown>): string | undefined {
  const limit = MAX_DOCUMENT_BYTES - DOCUMENT_SIZE_MARGIN;
  const bytes = contentDocumentBytes('(input)', columns);
  if (bytes <= limit) return undefined;
  return `violates Convex's document-size rule: about ${bytes} bytes together exceed ${limit}`;
}

function violation(err: MappingError): string {
  return `violates Convex's ${err.rule} rule: ${err.detail}`;
}
