/**
 * Bearer tokens → actors (actor.ts). Tokens come from configuration (TANDEM_API_TOKENS);
 * they are kept only as SHA-256 digests so a lookup never compares secrets
 * character by character. No header means an anonymous reader; a header that
 * is malformed or names an unknown token is refused outright, whatever route.
 */
import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { TokenEntry } from '../config.js';
import { UnauthenticatedError } from '../core/errors.js';
import { ANONYMOUS, requireRole, type Actor } from './actor.js';

/** Who may call a route: anyone (including anonymous readers), or at least this role. */
export type Access = 'anonymous' | 'reader' | 'editor' | 'admin';

function digest(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}

export type TokenIndex = ReadonlyMap<string, TokenEntry>;

export function indexTokens(tokens: Record<string, TokenEntry>): TokenIndex {
  return new Map(Object.entries(tokens).map(([token, entry]) => [digest(token), entry]));
}

export function resolveActor(header: string | undefined, tokens: TokenIndex): Actor {
  if (header === undefined) return ANONYMOUS;
  const match = /^Bearer +(\S+) *$/i.exec(header);
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  const entry = tokens.get(digest(match[1]!));
  if (!entry) throw new UnauthenticatedError('unknown token');
  return { userId: entry.userId, role: entry.role };
}

/** 401 for an anonymous caller of a signed-in route, 403 for a role too low. */
export function checkAccess(actor: Actor, access: Access): void {
  if (access !== 'anonymous') requireRole(actor, access);
}

export function authenticate(request: FastifyRequest, tokens: TokenIndex): void {
  request.actor = resolveActor(request.headers.authorization, tokens);
  checkAccess(request.actor, request.routeOptions.config.access ?? 'anonymous');
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    actor: Actor;
  }
}
