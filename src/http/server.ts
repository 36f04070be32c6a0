/**
 * Tandem's HTTP host: JSON in and out, bearer-token auth, one error envelope,
 * an OpenAPI document generated from the route declarations, liveness and
 * readiness, the control room's API, and the routes of the application being
 * migrated (its plug-in's `http`, e.g. the story site's read and write paths).
 * The server checks each route's declared role before the handler runs, so a
 * caller without the role gets 401/403 whatever its input.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TokenEntry } from '../config.js';
import type { Logger } from '../log.js';
import { InvalidInputError } from '../core/errors.js';
import type { Actor } from './actor.js';
import { authenticate, indexTokens } from './auth.js';
import { handleError, handleNotFound, type ErrorTranslator } from './errors.js';
import { errorEnvelope } from './schemas.js';
import { systemRoutes, type Readiness } from './routes/system.js';
import { controlRoomRoutes, type ControlRoomRouting } from './routes/controlRoom.js';

/**
 * What Convex can hold of one document (1 MiB) with room for JSON's escaping:
 * a larger body could never be mirrored.
 */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
/** A request whose body has not fully arrived by then is answered 408 and its connection closed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** An application's part of the API (an application plug-in's `http`). */
export interface ApiApplication {
  /**
   * Registers the application's routes (declared with `addRoute`, so they share
   * the auth hook, the error envelope and the OpenAPI document).
   */
  routes(scope: FastifyInstance): void | Promise<void>;
  /** Turns the application's database errors (a constraint violation) into the tool's, for the envelope. */
  translateError?: ErrorTranslator;
  /** Title and description of the OpenAPI document. */
  openApi?: { title: string; description: string };
}

export interface ApiServerOptions {
  /** The application's routes; without one the server has the system routes and the control room. */
  application?: ApiApplication;
  /** Bearer token → application user id and role (TANDEM_API_TOKENS). */
  tokens: Record<string, TokenEntry>;
  logger: Logger;
  bodyLimit?: number;
  /** Default DEFAULT_REQUEST_TIMEOUT_MS; 0 turns it off (a slow body then holds its connection). */
  requestTimeoutMs?: number;
  /** Answers `/readyz`: whether the database (and what else the server needs) can serve (see databaseReadiness). */
  readiness: () => Promise<Readiness>;
  /**
   * Further routes (e.g. `/metrics`), registered after the API's own at the root,
   * so they share the error envelope, the auth hook (declare `config.access`;
   * default open) and the OpenAPI document.
   */
  extraRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /** The control room's API under /api/control (docs/control-room-api.md). */
  controlRoom?: ControlRoomRouting;
}

/**
 * Accepts an empty JSON body as "no body" (POSTs without payload) and names bad
 * JSON as a body error. Bodies are UTF-8 (RFC 8259): bytes that are not are
 * refused instead of being decoded to U+FFFD and stored changed, and a body
 * declaring another charset is refused with 415.
 */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  // JSON only: any other body type is refused with 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8' && charset.toLowerCase() !== 'utf8') {
      const err = Object.assign(new Error('body must be UTF-8 JSON'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' });
      return done(err, undefined);
    }
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new InvalidInputError('(body)', 'is not valid UTF-8'), undefined);
    }
    if (text.trim() === '') return done(null, undefined);
    parseJson(request, text, (err, value) => {
      if (err) done(new InvalidInputError('(body)', `not valid JSON: ${err.message}`), undefined);
      else done(null, value);
    });
  });
}

const DEFAULT_OPENAPI = {
  title: 'Tandem API',
  description: 'The control room and system routes of Tandem. Errors: { error: { code, message, field? } }.',
};

function registerOpenApi(app: FastifyInstance, info: { title: string; description: string }): void {
  app.addSchema(errorEnvelope);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: info.title, version: '0.1.0', description: info.description },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
}

export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const translate = options.application?.translateError;
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Errors the router raises before any hook (a path that is not valid
    // percent-encoding) get the same envelope as every other error.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply, translate),
  }) as unknown as FastifyInstance;
  // Schemas document the API; validation is the write paths' job, and replies are plain JSON.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installJsonParser(app);
  // Set by the onRequest hook before any handler runs.
  app.decorateRequest('actor', null as unknown as Actor);
  const tokens = indexTokens(options.tokens);
  app.addHook('onRequest', async (request) => authenticate(request, tokens));
  app.setErrorHandler((err, request, reply) => handleError(err, request, reply, translate));
  app.setNotFoundHandler(handleNotFound);
  registerOpenApi(app, options.application?.openApi ?? DEFAULT_OPENAPI);

  const readiness = options.readiness;
  void app.register(async (scope) => systemRoutes(scope, readiness));
  const application = options.application;
  if (application) void app.register(async (scope) => application.routes(scope));
  if (options.controlRoom) {
    const routing = options.controlRoom;
    void app.register(async (scope) => controlRoomRoutes(scope, routing));
  }
  if (options.extraRoutes) {
    const extra = options.extraRoutes;
    void app.register(async (scope) => extra(scope));
  }
  return app;
}
