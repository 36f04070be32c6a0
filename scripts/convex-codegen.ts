/**
 * (Re)writes the files the project generates for Convex (convex/schema.ts,
 * convex/mirror/tables.ts, convex/_generated/*, src/convex/convexModules.ts).
 *   npx tsx scripts/convex-codegen.ts          write what changed
 *   npx tsx scripts/convex-codegen.ts --check  exit 1 if anything is stale
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { staleConvexFiles, writeConvexFiles } from '../src/convex/codegen/convexFiles.js';
import { STORY_SITE_TABLES } from '../test/support/storySiteMirror.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

if (process.argv.includes('--check')) {
  const stale = await staleConvexFiles(root, STORY_SITE_TABLES);
  for (const file of stale) console.error(`stale: ${file}`);
  process.exit(stale.length > 0 ? 1 : 0);
} else {
  const written = await writeConvexFiles(root, STORY_SITE_TABLES);
  console.log(written.length > 0 ? `wrote ${written.join(', ')}` : 'convex files are up to date');
}
