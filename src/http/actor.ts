/**
 * Who is calling the HTTP API: resolved from the bearer token (TANDEM_API_TOKENS
 * maps each token to an application user id and a role) before any handler
 * runs. The control room and an application's routes check the same roles.
 */
import type { Role } from '../config.js';
import { ForbiddenError, UnauthenticatedError } from '../core/errors.js';

export interface Actor {
  /** The application's user id from the token; null for an anonymous caller. */
  userId: number | null;
  role: Role | 'anonymous';
}

export const ANONYMOUS: Actor = { userId: null, role: 'anonymous' };

const RANK = { anonymous: 0, reader: 1, editor: 2, admin: 3 } as const;

/** Throws unless the actor is signed in with at least `role`; returns the actor's user id. */
export function requireRole(actor: Actor, role: Role): number {
  if (actor.userId === null || actor.role === 'anonymous') throw new UnauthenticatedError('sign-in required');
  if (RANK[actor.role] < RANK[role]) throw new ForbiddenError(role);
  return actor.userId;
}
