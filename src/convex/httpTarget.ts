/**
 * A real Convex deployment through the official ConvexHttpClient. Tandem's
 * functions are internal, so the client authenticates with the deployment's
 * admin or deploy key (`setAdminAuth`, the mechanism `npx convex run` uses).
 * ConvexHttpClient runs one mutation at a time per client; `skipQueue` lets
 * several relay workers share one client concurrently.
 */
import { ConvexHttpClient } from 'convex/browser';
import { ConfigError, TargetAuthError, TargetUnavailableError } from '../core/errors.js';
import { FunctionTarget } from './functionTarget.js';
import type { FunctionReference } from 'convex/server';

export interface HttpConvexTargetOptions {
  /** Deployment URL, e.g. https://happy-animal-123.convex.cloud */
  url: string;
  /** Admin key or deploy key of the deployment. */
  adminKey: string;
  /** Send mutations without waiting for earlier ones from this client. Default false. */
  skipQueue?: boolean;
  /** A request with no answer after this long is abandoned (its outcome unknown). Default 30 s. */
  requestTimeoutMs?: number;
}

/** Convex's status for "the function itself failed" (a permanent error for that input). */
const STATUS_FUNCTION_FAILED = 560;

/**
 * fetch with a deadline, turning "Convex did not answer or is unavailable"
 * (network errors, timeouts, 5xx other than a function failure, 429) into
 * TargetUnavailableError and a refused key (401/403) into TargetAuthError,
 * which the relay and backfill wait out instead of spending retries. The
 * status is read here because ConvexHttpClient turns every non-2xx answer
 * other than 560 (function failed) into a plain Error carrying only the body
 * text (convex/dist/esm/browser/http_client.js).
 */
function fetchWithDeadline(timeoutMs: number): typeof fetch {
  return async (input, init) => {
    let response: Response;
    try {
      response = await fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const name = (err as Error)?.name;
      const what =
        name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error)?.message;
      throw new TargetUnavailableError(`Convex unreachable: ${what}`, { cause: err });
    }
    if (response.status === 401 || response.status === 403) {
      // The body may echo the key's name or part of it: never carried into logs.
      throw new TargetAuthError(
        `Convex refused the admin/deploy key (HTTP ${response.status}); delivery paused until it is accepted`,
      );
    }
    if (
      response.status === 429 ||
      (response.status >= 500 && response.status !== STATUS_FUNCTION_FAILED)
    ) {
      const body = await response.text().catch(() => '');
      throw new TargetUnavailableError(
        `Convex answered HTTP ${response.status}: ${body.slice(0, 200)}`,
      );
    }
    return response;
  };
}

/** setAdminAuth is public at run time but left out of the client's published types. */
interface AdminAuthClient {
  setAdminAuth(token: string): void;
}

export class HttpConvexTarget extends FunctionTarget {
  readonly kind = 'http' as const;
  private readonly client: ConvexHttpClient;
  private readonly skipQueue: boolean;

  constructor(options: HttpConvexTargetOptions) {
    super();
    if (!/^https?:\/\//.test(options.url))
      throw new ConfigError('convex.url', 'must be an http(s) URL');
    if (!options.adminKey)
      throw new ConfigError('convex.adminKey', 'an admin or deploy key is required');
    this.client = new ConvexHttpClient(options.url, {
      skipConvexDeploymentUrlCheck: true,
      logger: false,
      fetch: fetchWithDeadline(options.requestTimeoutMs ?? 30_000),
    });
    (this.client as unknown as AdminAuthClient).setAdminAuth(options.adminKey);
    this.skipQueue = options.skipQueue ?? false;
  }

  protected runQuery<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'query', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.client.query(ref as FunctionReference<'query'>, args) as Promise<Result>;
  }

  protected runMutation<Args extends Record<string, unknown>, Result>(
    ref: FunctionReference<'mutation', 'public' | 'internal', Args, Result>,
    args: Args,
  ): Promise<Result> {
    return this.client.mutation(ref as FunctionReference<'mutation'>, args, {
      skipQueue: this.skipQueue,
    }) as Promise<Result>;
  }

  async close(): Promise<void> {}
}
