/**
 * What the story site's Convex write paths need before a write group's writer
 * becomes Convex: the users the mutations check authors and readers against
 * (the auth system's export; sql/legacy-users-export.sql here) and ids
 * reserved from the Postgres sequences of the group's tables
 * (docs/write-cutover-keys.md). Safe to run again: users already saved and
 * ranges already stored are kept.
 */
import { convexKeyRangeStore, refillKeyRanges, type WriteCutoverPreparation } from 'tandem';
import { sampleUserName } from '../userDirectory.js';
import { SERIAL_TABLES } from '../sample/finish.js';
import { exportLegacyUserIds } from '../sample/legacyUsers.js';

/** Tables whose `id` is filled from a sequence (image keys are the uploader's text). */
const SERIAL_KEY_TABLES = new Set<string>(SERIAL_TABLES);

const USERS_PER_CALL = 1_000;

export const prepareConvexWrites: WriteCutoverPreparation['prepare'] = async ({ pool, tool, schema, convex, tables }) => {
  const ids = await exportLegacyUserIds(pool);
  for (let i = 0; i < ids.length; i += USERS_PER_CALL) {
    const users = ids.slice(i, i + USERS_PER_CALL).map((id) => ({ userId: id, name: sampleUserName(id) }));
    await convex.mutation('writes/users:saveLegacyUsers', { users });
  }
  const keys = tables.filter((t) => SERIAL_KEY_TABLES.has(t)).map((table) => ({ schema, table, column: 'id' }));
  await refillKeyRanges(pool, convexKeyRangeStore(convex), keys, { lowWater: 1_000, batch: 2_000, tool });
};
