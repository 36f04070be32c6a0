// Written by `tandem codegen` because this Convex folder had no schema.ts. It is the app's
// file from now on: add the app's own tables next to Tandem's; Tandem never rewrites it.
import { defineSchema, defineTable } from 'convex/server';
import { v } from 'convex/values';
import { tandemTables } from './tandem/schemaFragment.js';

// The story site's read paths (convex/reads/) need indexes beyond the mirror's own (pgKey and
// one per foreign key). They are added here, in the app's file, with Convex's own `.index()`
// on the fragment's table definitions: codegen never rewrites this file, so they survive every
// `tandem codegen`. Names must differ from the kit's (`by_pgKey`, `by_<fk column>`); see
// docs/convex.md, "Indexes of the app's own".
export default defineSchema({
  ...tandemTables,
  course: tandemTables.course.index('by_short', ['short']),
  story: tandemTables.story
    .index('by_course_set', ['course_id', 'set_id', 'set_index'])
    .index('by_visibility', ['public', 'deleted'])
    .index('by_date_published', ['date_published']),
  story_done: tandemTables.story_done
    .index('by_user_story_time', ['user_id', 'story_id', 'time'])
    .index('by_time', ['time']),
  // The write paths' own tables (convex/writes/, docs/write-cutover-keys.md): ids reserved from
  // the Postgres sequences for rows created in Convex, and the legacy user ids the write paths
  // accept with their display names (the user directory of the Postgres path, in Convex).
  key_ranges: defineTable({
    table: v.string(),
    first: v.number(),
    last: v.number(),
    step: v.number(),
    next: v.number(),
    exhausted: v.boolean(),
  })
    .index('by_table_first', ['table', 'first'])
    .index('by_table_live', ['table', 'exhausted', 'first']),
  legacy_users: defineTable({ userId: v.number(), name: v.union(v.string(), v.null()) }).index(
    'by_userId',
    ['userId'],
  ),
});
