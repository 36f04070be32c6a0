/**
 * Every failure leaves the API as `{ error: { code, message, field? } }` with
 * its HTTP status. Unexpected errors become a bare 500 whose details go to the
 * log only, so no stack or SQL text reaches a client; Postgres being down or
 * dropping the connection is a 503 with a retry hint. Messages sent are the
 * project's own: a Postgres error is translated (by the application's
 * `translateError`, e.g. a constraint violation named for its field) or hidden.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotFoundError,
  UnauthenticatedError,
  UnknownUserError,
} from '../core/errors.js';
import { isDatabaseUnavailableError } from '../postgres/database.js';

/** Seconds a client is asked to wait when the database is unavailable (Retry-After). */
export const RETRY_AFTER_SECONDS = 5;

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

interface Mapped {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

function envelope(status: number, code: string, message: string, field?: string): Mapped {
  return {
    status,
    body: { error: field === undefined ? { code, message } : { code, message, field } },
  };
}

/** Errors fastify raises itself while reading the request (body parsing, limits). */
function mapFastifyError(err: FastifyError): Mapped | undefined {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return envelope(413, 'payload_too_large', 'request body is larger than the limit');
    case 'FST_ERR_BAD_URL':
      return envelope(400, 'invalid_input', 'the path is not valid percent-encoded UTF-8', '(path)');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return envelope(415, 'unsupported_media_type', 'request body must be application/json');
  }
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return envelope(400, 'invalid_input', err.message, '(body)');
  }
  return undefined;
}

/** Turns an error the application knows (a constraint violation) into one of the tool's; others pass as they are. */
export type ErrorTranslator = (err: unknown) => unknown;

export function mapError(thrown: unknown, translate: ErrorTranslator = (err) => err): Mapped {
  // A constraint violation no write path translated still gets a clean envelope.
  const err = translate(thrown);
  if (isDatabaseUnavailableError(err)) {
    return {
      ...envelope(503, 'unavailable', 'the database is unavailable; try again shortly'),
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    };
  }
  if (err instanceof UnknownUserError) return envelope(403, err.code, err.message);
  if (err instanceof InvalidInputError) return envelope(400, err.code, err.message, err.field);
  if (err instanceof UnauthenticatedError) return envelope(401, err.code, err.message);
  if (err instanceof ForbiddenError) return envelope(403, err.code, err.message);
  if (err instanceof NotFoundError) return envelope(404, err.code, err.message, err.field);
  if (err instanceof ConflictError) return envelope(409, err.code, err.message, err.field);
  if (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('FST_')
  ) {
    const mapped = mapFastifyError(err as FastifyError);
    if (mapped) return mapped;
  }
  return envelope(500, 'internal', 'internal error');
}

export function handleError(
  err: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  translate?: ErrorTranslator,
): FastifyReply {
  const { status, body, headers } = mapError(err, translate);
  if (status === 503) request.log.warn({ err }, 'database unavailable');
  else if (status >= 500) request.log.error({ err }, 'request failed');
  if (status === 401) reply.header('www-authenticate', 'Bearer');
  for (const [name, value] of Object.entries(headers ?? {})) reply.header(name, value);
  return reply.status(status).send(body);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const url = request.url.length > 200 ? `${request.url.slice(0, 200)}…` : request.url;
  const { body } = envelope(404, 'not_found', `no route ${request.method} ${url}`);
  return reply.status(404).send(body);
}
