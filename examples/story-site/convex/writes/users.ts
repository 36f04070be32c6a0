/**
 * The legacy user ids the write paths accept, with their display names: in
 * Postgres the `users` table (a foreign key refuses an unknown author) and the
 * user-directory port (contributor names); in Convex this table, filled from
 * the auth system's export (`saveLegacyUsers`). An id that is not here is an
 * unknown user, refused as the Postgres foreign key refuses it; an id with no
 * name is left out of contributor lists, as the directory leaves it out.
 */
import { v } from 'convex/values';
import { internalMutation, type DatabaseReader } from '../_generated/server.js';
import { refuse } from './refusals.js';

async function legacyUser(db: DatabaseReader, userId: number) {
  return db
    .query('legacy_users')
    .withIndex('by_userId', (q) => q.eq('userId', userId))
    .unique();
}

/** The caller's user id (from its token) must name a known user, as story.author's foreign key demands. */
export async function requireKnownUser(
  db: DatabaseReader,
  userId: number,
  field?: string,
): Promise<void> {
  if (await legacyUser(db, userId)) return;
  if (field)
    refuse({ code: 'invalid_input', field, message: 'refers to a row that does not exist' });
  refuse({
    code: 'unknown_user',
    field: null,
    message: "the token's user is not a known user of this site",
  });
}

/** Display names of the given users; ids without a name are absent. */
export async function userNames(
  db: DatabaseReader,
  userIds: readonly number[],
): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  for (const id of new Set(userIds)) {
    const name = (await legacyUser(db, id))?.name;
    if (name !== null && name !== undefined) names.set(id, name);
  }
  return names;
}

/** Adds or renames legacy users (idempotent). */
export const saveLegacyUsers = internalMutation({
  args: { users: v.array(v.object({ userId: v.number(), name: v.union(v.string(), v.null()) })) },
  returns: v.object({ saved: v.number() }),
  handler: async (ctx, { users }) => {
    let saved = 0;
    for (const user of users) {
      const current = await legacyUser(ctx.db, user.userId);
      if (!current) await ctx.db.insert('legacy_users', user);
      else if (current.name !== user.name) await ctx.db.patch(current._id, { name: user.name });
      else continue;
      saved++;
    }
    return { saved };
  },
});
