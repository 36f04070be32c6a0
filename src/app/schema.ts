import fs from 'node:fs';
import { loadProjectConfig } from '../config/loadProjectConfig.js';
import type { ProjectConfig } from '../config/projectConfig.js';
import { packagePath } from '../packageRoot.js';
import type { Queryable } from '../postgres/database.js';

/** The ten tables of the story site that Tandem mirrors, in the plan's recommended order. */
export const APP_TABLES = [
  'language',
  'localization',
  'image',
  'avatar',
  'speaker',
  'avatar_mapping',
  'course',
  'story',
  'story_approval',
  'story_done',
] as const;
export type AppTable = (typeof APP_TABLES)[number];

/** Legacy auth tables: never mirrored, never touched by runtime SQL in src/. */
export const LEGACY_AUTH_TABLES = ['users', 'accounts', 'sessions', 'verification_token'] as const;

const schemaSql = fs.readFileSync(packagePath('sql', 'app-schema.sql'), 'utf8');

/** Creates the story site's tables where absent (tests, demo, `tandem sample`). */
export async function createAppSchema(db: Queryable): Promise<void> {
  await db.query(schemaSql);
}

/** The story site's project config (what Tandem mirrors, its invariants, its legacy tables). */
export const STORY_SITE_CONFIG_FILE = packagePath('examples/story-site/tandem.config.json');

export function loadStorySiteConfig(): Promise<ProjectConfig> {
  return loadProjectConfig({ file: STORY_SITE_CONFIG_FILE });
}
