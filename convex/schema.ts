// Written by `tandem codegen` because this Convex folder had no schema.ts. It is the app's
// file from now on: add the app's own tables next to Tandem's; Tandem never rewrites it.
import { defineSchema } from 'convex/server';
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
});
