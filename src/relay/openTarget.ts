/** The Convex target the configuration points at: CONVEX_URL, else the running dev stack's stand-in. */
import type { Config } from '../config.js';
import { HttpConvexTarget } from '../convex/httpTarget.js';
import { ConfigError } from '../core/errors.js';
import { readDevStack } from '../postgres/devStack.js';

export function openConvexTarget(config: Config): HttpConvexTarget {
  if (config.convexUrl) {
    if (!config.convexDeployKey) throw new ConfigError('CONVEX_DEPLOY_KEY', 'required with CONVEX_URL (an admin or deploy key)');
    return new HttpConvexTarget({ url: config.convexUrl, adminKey: config.convexDeployKey, skipQueue: true });
  }
  const dev = readDevStack(config.home);
  if (dev?.convexUrl && dev.convexAdminKey) {
    return new HttpConvexTarget({ url: dev.convexUrl, adminKey: dev.convexAdminKey, skipQueue: true });
  }
  throw new ConfigError('CONVEX_URL', 'no Convex target: set CONVEX_URL and CONVEX_DEPLOY_KEY, or start `tandem dev`');
}
