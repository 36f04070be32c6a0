// Written by `tandem codegen` because this Convex folder had no schema.ts. It is the app's
// file from now on: add the app's own tables next to Tandem's; Tandem never rewrites it.
import { defineSchema } from 'convex/server';
import { tandemTables } from './tandem/schemaFragment.js';

export default defineSchema({
  ...tandemTables,
});
