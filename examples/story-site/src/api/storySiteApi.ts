/**
 * The story site's HTTP API as an application of Tandem's HTTP host: its read
 * and write routes (JSON, one declaration per route, documented in the OpenAPI
 * document), the `Tandem-Read-Source` header, and its Postgres errors
 * translated for the envelope. It only calls the data layer: read paths
 * through `ReadPaths`, writes through the write-path functions (or the write
 * router, by write stage, with the `Tandem-Write-Source` header), which validate
 * input and check roles themselves.
 */
import type { FastifyInstance } from 'fastify';
import { createApiServer, databaseReadiness, type ApiApplication, type ApiServerOptions, type ToolSchema } from 'tandem';
import type { AppDeps } from '../app/ports.js';
import type { ReadPaths } from '../app/reads/types.js';
import { translatePgError } from '../app/writes/pgErrors.js';
import type { ApiContext } from './context.js';
import { installReadSourceHeader, requestReads, type ReadRouting } from './readSource.js';
import { installWriteSourceHeader, requestWrites } from './writeSource.js';
import type { StorySiteWriteRouter } from '../app/writes/routing.js';
import { courseRoutes } from './routes/courses.js';
import { editorReadRoutes } from './routes/editorReads.js';
import { languageRoutes } from './routes/languages.js';
import { mediaRoutes } from './routes/media.js';
import { publicReadRoutes } from './routes/publicReads.js';
import { storyRoutes } from './routes/stories.js';

export interface StorySiteApiOptions {
  deps: AppDeps;
  /** The Postgres read paths (served as they are unless `readRouting` is given). */
  reads: ReadPaths;
  /** Routes each request's reads between Postgres and Convex (the read cutover's routedReads). */
  readRouting?: ReadRouting;
  /** Routes each write by its write group's stage (the write cutover); absent, every write is Postgres's. */
  writeRouter?: StorySiteWriteRouter;
}

export function storySiteApi(options: StorySiteApiOptions): ApiApplication {
  const context: ApiContext = {
    deps: options.deps,
    reads: requestReads(options.reads, options.readRouting),
    writes: requestWrites(options.writeRouter),
  };
  return {
    routes(scope: FastifyInstance) {
      installReadSourceHeader(scope);
      installWriteSourceHeader(scope);
      publicReadRoutes(scope, context);
      editorReadRoutes(scope, context);
      storyRoutes(scope, context);
      courseRoutes(scope, context);
      languageRoutes(scope, context);
      mediaRoutes(scope, context);
    },
    translateError: translatePgError,
    openApi: {
      title: 'Tandem story-site API',
      description: 'Read and write paths of the story site. Errors: { error: { code, message, field? } }.',
    },
  };
}

export type StorySiteServerOptions = StorySiteApiOptions &
  Omit<ApiServerOptions, 'application' | 'readiness'> &
  Partial<Pick<ApiServerOptions, 'readiness'>> & {
    /** Tandem's own schema, whose outbox readiness reports on. */
    tool: ToolSchema;
  };

/** Tandem's HTTP host serving the story site (readiness: its database, unless given). */
export function createStorySiteServer(options: StorySiteServerOptions): FastifyInstance {
  const { deps, reads, readRouting, writeRouter, tool, ...server } = options;
  return createApiServer({
    ...server,
    readiness: options.readiness ?? (() => databaseReadiness(deps.pool, tool)),
    application: storySiteApi({ deps, reads, readRouting, writeRouter }),
  });
}
