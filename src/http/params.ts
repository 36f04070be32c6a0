/**
 * Path parameters and bodies, checked before any write path sees them. Path
 * parameters are always strings; ids must be canonical positive integers.
 * Where the path and the body both name a key, the path wins, and a body that
 * disagrees is refused rather than silently overridden.
 */
import { InvalidInputError, NotFoundError } from '../core/errors.js';
import { isWellFormedString } from '../mapping/index.js';

const INT4_MAX = 2_147_483_647;

function rawParam(params: unknown, name: string): string {
  const value = (params as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string') throw new InvalidInputError(name, 'is required');
  return value;
}

/** A positive int4 id from the path (`/stories/12`); `012`, `1.0`, `-1`, `1e3` are refused. */
export function idParam(params: unknown, name: string): number {
  const raw = rawParam(params, name);
  const value = /^[1-9][0-9]{0,9}$/.test(raw) ? Number(raw) : NaN;
  if (!(value <= INT4_MAX)) throw new InvalidInputError(name, 'must be a positive integer');
  return value;
}

/** A small non-negative integer from the path (year, month); its range is checked by the read path. */
export function intParam(params: unknown, name: string): number {
  const raw = rawParam(params, name);
  if (!/^[0-9]{1,6}$/.test(raw)) throw new InvalidInputError(name, 'must be an integer');
  return Number(raw);
}

/** Longest string key accepted from the path; the keys it names are short varchars. */
const MAX_STRING_PARAM = 200;

/**
 * A string key from the path (course short, image id). Postgres text cannot
 * hold NUL and Convex cannot hold a lone surrogate, so no row can have such a
 * key: refused as bad input instead of failing in the database.
 */
export function stringParam(params: unknown, name: string): string {
  const value = rawParam(params, name);
  if (value.length === 0) throw new InvalidInputError(name, 'must not be empty');
  if (value.length > MAX_STRING_PARAM)
    throw new InvalidInputError(name, `must be at most ${MAX_STRING_PARAM} characters`);
  if (value.includes('\u0000')) throw new InvalidInputError(name, 'must not contain NUL characters');
  if (!isWellFormedString(value))
    throw new InvalidInputError(name, 'must be valid Unicode (it has a lone surrogate)');
  return value;
}

export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidInputError('(body)', 'must be a JSON object');
  }
  return body as Record<string, unknown>;
}

/** The body with the path's keys merged in; a body key that disagrees with the path is refused. */
export function bodyWithPath(
  body: unknown,
  path: Record<string, number | string>,
): Record<string, unknown> {
  const input = objectBody(body);
  for (const [key, value] of Object.entries(path)) {
    if (Object.hasOwn(input, key) && input[key] !== value) {
      throw new InvalidInputError(key, `conflicts with the ${key} given in the path`);
    }
  }
  return { ...input, ...path };
}

/** A create route's body: an `id` belongs in the update route's path instead. */
export function bodyForCreate(body: unknown): Record<string, unknown> {
  const input = objectBody(body);
  if (Object.hasOwn(input, 'id')) {
    throw new InvalidInputError(
      'id',
      'must not be given when creating; update with PUT to the id instead',
    );
  }
  return input;
}

export interface PathTarget {
  /** The path parameter that named the row. */
  param: string;
  entity: string;
  key: number | string;
}

/**
 * Runs a write whose input was built from path parameters. The write names a
 * missing row by its own input field (`story_id`); for the caller the row was
 * named in the path, so that becomes 404 naming the path parameter.
 */
export async function withPathTargets<R>(
  work: () => Promise<R>,
  targets: Record<string, PathTarget>,
): Promise<R> {
  try {
    return await work();
  } catch (err) {
    const field =
      err instanceof NotFoundError || err instanceof InvalidInputError ? err.field : undefined;
    const target =
      field !== undefined && Object.hasOwn(targets, field) ? targets[field] : undefined;
    if (target) throw new NotFoundError(target.entity, target.key, target.param);
    throw err;
  }
}
