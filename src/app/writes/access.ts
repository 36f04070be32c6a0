import { ForbiddenError, UnauthenticatedError } from '../../core/errors.js';
import type { Actor } from '../ports.js';

const RANK = { anonymous: 0, reader: 1, editor: 2, admin: 3 } as const;

/** Throws unless the actor is signed in with at least `role`; returns the actor's user id. */
export function requireRole(actor: Actor, role: 'reader' | 'editor' | 'admin'): number {
  if (actor.userId === null || actor.role === 'anonymous') throw new UnauthenticatedError('sign-in required');
  if (RANK[actor.role] < RANK[role]) throw new ForbiddenError(role);
  return actor.userId;
}
