/**
 * The operation key marks a write as coming from an instrumented path (the
 * mirror helper). It is a transaction-local setting (SET LOCAL semantics), so it
 * vanishes at commit or rollback and can never leak into the next transaction
 * that reuses the pooled connection. Events written without it are untracked.
 */
import type { Queryable } from '../postgres/database.js';

export const OPERATION_KEY_SETTING = 'tandem.operation_key';

/** Call inside the write's transaction, before its writes. */
export async function setOperationKey(tx: Queryable, key: string): Promise<void> {
  await tx.query('SELECT set_config($1, $2, true)', [OPERATION_KEY_SETTING, key]);
}

/** Transaction options that set the operation key with BEGIN (no extra round trip). */
export function operationKeySettings(key: string): { settings: Record<string, string> } {
  return { settings: { [OPERATION_KEY_SETTING]: key } };
}
