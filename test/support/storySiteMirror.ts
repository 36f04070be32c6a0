/**
 * The story site's mirror fixture (test/support/storySiteTables.ts, re-exported
 * here) and its project config, read once through the public API.
 */
import { loadStorySiteConfig } from '../../examples/story-site/src/app/schema.js';
import type { ProjectConfig } from '../../src/config/projectConfig.js';

export { STORY_SITE_GROUP_ORDER, STORY_SITE_TABLES, STORY_SITE_TABLE_NAMES, storySiteCapture } from './storySiteTables.js';

/** The story site's project config (examples/story-site/tandem.config.json), read once. */
export const STORY_SITE_CONFIG: ProjectConfig = await loadStorySiteConfig();
