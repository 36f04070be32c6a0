/**
 * A failed function as a Convex deployment answers it over HTTP (status 560,
 * which the official ConvexHttpClient reads as "the function failed"):
 * `{ status: 'error', errorMessage, errorData?, logLines }`. `errorData`
 * (Convex JSON) is set for a ConvexError; the client turns it back into a
 * ConvexError with `.data`. convex-test's errors for a missing module or
 * export become the deployment's "Could not find public function" message
 * (the text of convex-backend's missing_or_internal_error).
 */
import { ConvexError, convexToJson, type Value } from 'convex/values';

/** Convex's status for "the function itself failed" (STATUS_CODE_UDF_FAILED in the client). */
export const STATUS_UDF_FAILED = 560;

const MISSING_FUNCTION =
  /^Could not find module for: |^Expected a Convex function exported from module .*there is no such export/;

export function functionErrorBody(err: unknown, path: string): Record<string, unknown> {
  const message = err instanceof Error ? err.message : String(err);
  if (MISSING_FUNCTION.test(message)) {
    return {
      status: 'error',
      errorMessage: `Could not find public function for '${path}'. Did you forget to run \`npx convex dev\` or \`npx convex deploy\`?`,
      logLines: [],
    };
  }
  const body: Record<string, unknown> = { status: 'error', errorMessage: message, logLines: [] };
  if (err instanceof ConvexError) body.errorData = convexToJson((err.data ?? null) as Value);
  return body;
}
