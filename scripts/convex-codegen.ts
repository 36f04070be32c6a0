/**
 * (Re)writes the story site's Convex folder (examples/story-site/convex/) from
 * its static mirror configuration, with no database: the Tandem kit
 * (convex/tandem.ts, convex/tandem/) and _generated/. Its schema.ts, parity.ts,
 * checks/, reads/ and writes/ are the story site's own files and are left as they are.
 *   npx tsx scripts/convex-codegen.ts          write what changed
 *   npx tsx scripts/convex-codegen.ts --check  exit 1 if anything is stale
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
  renderConvexFiles,
  staleConvexFiles,
  writeConvexFiles,
} from '../src/convex/codegen/convexFiles.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';

const convexDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../examples/story-site/convex');
const rendered = await renderConvexFiles(convexDir, STORY_SITE_TABLES);
for (const note of rendered.notes) console.error(`note: ${note}`);

if (process.argv.includes('--check')) {
  const stale = staleConvexFiles(rendered);
  for (const file of stale) console.error(`stale: convex/${file}`);
  process.exit(stale.length > 0 ? 1 : 0);
} else {
  const written = writeConvexFiles(rendered);
  console.log(
    written.length > 0
      ? `wrote ${written.map((f) => `convex/${f}`).join(', ')}`
      : 'convex files are up to date',
  );
}
