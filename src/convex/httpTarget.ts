/**
 * A real Convex deployment through the official ConvexHttpClient. Tandem's
 * functions are internal, so the client authenticates with the deployment's
 * admin or deploy key (`setAdminAuth`, the mechanism `npx convex run` uses).
 * ConvexHttpClient runs one mutation at a time per client; `skipQueue` lets
 * several relay workers share one client concurrently.
 */
import { ConvexHttpClient } from 'convex/browser';
import type { ApplyResult, TransactionBatch } from '../core/changes.js';
import { ConfigError } from '../core/errors.js';
import { applyBatchRef, exportArgs, exportPageRef } from './functionRefs.js';
import type { ConvexTarget, ExportOptions, ExportPage } from './target.js';

export interface HttpConvexTargetOptions {
  /** Deployment URL, e.g. https://happy-animal-123.convex.cloud */
  url: string;
  /** Admin key or deploy key of the deployment. */
  adminKey: string;
  /** Send mutations without waiting for earlier ones from this client. Default false. */
  skipQueue?: boolean;
}

/** setAdminAuth is public at run time but left out of the client's published types. */
interface AdminAuthClient {
  setAdminAuth(token: string): void;
}

export class HttpConvexTarget implements ConvexTarget {
  readonly kind = 'http' as const;
  private readonly client: ConvexHttpClient;
  private readonly skipQueue: boolean;

  constructor(options: HttpConvexTargetOptions) {
    if (!/^https?:\/\//.test(options.url))
      throw new ConfigError('convex.url', 'must be an http(s) URL');
    if (!options.adminKey)
      throw new ConfigError('convex.adminKey', 'an admin or deploy key is required');
    this.client = new ConvexHttpClient(options.url);
    (this.client as unknown as AdminAuthClient).setAdminAuth(options.adminKey);
    this.skipQueue = options.skipQueue ?? false;
  }

  async applyBatch(transactions: TransactionBatch[]): Promise<ApplyResult> {
    return this.client.mutation(applyBatchRef, { transactions }, { skipQueue: this.skipQueue });
  }

  async exportPage(
    table: string,
    cursor: string | null,
    numItems: number,
    options: ExportOptions = {},
  ): Promise<ExportPage> {
    return this.client.query(exportPageRef, exportArgs(table, cursor, numItems, options.maxBytes));
  }

  async close(): Promise<void> {}
}
