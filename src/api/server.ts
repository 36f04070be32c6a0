/**
 * The story site's HTTP API: JSON in and out, bearer-token auth, one error
 * envelope, and an OpenAPI document generated from the route declarations.
 * It only calls the library: read paths through `ReadPaths`, writes through the
 * write-path functions (or the write router, by write stage), which validate input and check roles themselves. The
 * server also checks each route's declared role before the handler runs, so a
 * caller without the role gets 401/403 whatever its input.
 */
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TokenEntry } from '../config.js';
import type { Logger } from '../log.js';
import type { Actor, AppDeps } from '../app/ports.js';
import type { ReadPaths } from '../app/reads/types.js';
import { InvalidInputError } from '../core/errors.js';
import { authenticate, indexTokens } from './auth.js';
import { handleError, handleNotFound } from './errors.js';
import type { ApiContext } from './routeKit.js';
import { errorEnvelope } from './schemas.js';
import { courseRoutes } from './routes/courses.js';
import { editorReadRoutes } from './routes/editorReads.js';
import { languageRoutes } from './routes/languages.js';
import { mediaRoutes } from './routes/media.js';
import { publicReadRoutes } from './routes/publicReads.js';
import { installReadSourceHeader, requestReads, type ReadRouting } from './readSource.js';
import { installWriteSourceHeader, requestWrites } from './writeSource.js';
import type { StorySiteWriteRouter } from '../app/writes/routing.js';
import { storyRoutes } from './routes/stories.js';
import { databaseReadiness, systemRoutes, type Readiness } from './routes/system.js';
import { controlRoomRoutes, type ControlRoomRouting } from './routes/controlRoom.js';

/**
 * What Convex can hold of one story (text and json share a 1 MiB document)
 * with room for JSON's escaping; anything larger could never be mirrored.
 */
export const DEFAULT_BODY_LIMIT = 4 * 1024 * 1024;
/** A request whose body has not fully arrived by then is answered 408 and its connection closed. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ApiServerOptions {
  deps: AppDeps;
  /** The Postgres read paths (served as they are unless `readRouting` is given). */
  reads: ReadPaths;
  /** Routes each request's reads between Postgres and Convex (the read cutover's routedReads). */
  readRouting?: ReadRouting;
  /** Routes each write by its write group's stage (the write cutover); absent, every write is Postgres's. */
  writeRouter?: StorySiteWriteRouter;
  /** Bearer token → legacy user id and role (TANDEM_API_TOKENS). */
  tokens: Record<string, TokenEntry>;
  logger: Logger;
  bodyLimit?: number;
  /** Default DEFAULT_REQUEST_TIMEOUT_MS; 0 turns it off (a slow body then holds its connection). */
  requestTimeoutMs?: number;
  /** Answers `/readyz`: whether the database (and what else the server needs) can serve. */
  readiness?: () => Promise<Readiness>;
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

function registerOpenApi(app: FastifyInstance): void {
  app.addSchema(errorEnvelope);
  void app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Tandem story-site API',
        version: '0.1.0',
        description:
          'Read and write paths of the story site. Errors: { error: { code, message, field? } }.',
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
}

export function createApiServer(options: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    // Errors the router raises before any hook (a path that is not valid
    // percent-encoding) get the same envelope as every other error.
    frameworkErrors: (error, request, reply) => handleError(error, request, reply),
  }) as unknown as FastifyInstance;
  // Schemas document the API; validation is the write paths' job, and replies are plain JSON.
  app.setValidatorCompiler(() => (data) => ({ value: data }));
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  installJsonParser(app);
  // Set by the onRequest hook before any handler runs.
  app.decorateRequest('actor', null as unknown as Actor);
  const tokens = indexTokens(options.tokens);
  app.addHook('onRequest', async (request) => authenticate(request, tokens));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);
  registerOpenApi(app);

  installReadSourceHeader(app);
  installWriteSourceHeader(app);
  const context: ApiContext = {
    deps: options.deps,
    reads: requestReads(options.reads, options.readRouting),
    writes: requestWrites(options.writeRouter),
  };
  void app.register(async (scope) => {
    systemRoutes(scope, options.readiness ?? (() => databaseReadiness(options.deps.pool)));
    publicReadRoutes(scope, context);
    editorReadRoutes(scope, context);
    storyRoutes(scope, context);
    courseRoutes(scope, context);
    languageRoutes(scope, context);
    mediaRoutes(scope, context);
  });
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
