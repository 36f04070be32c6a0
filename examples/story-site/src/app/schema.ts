import fs from 'node:fs';
import { loadProjectConfig } from 'tandem';
import type { ProjectConfig } from 'tandem';
import type { Queryable } from 'tandem';
import { storySitePath } from '../storySiteRoot.js';

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

/** Legacy auth tables: never mirrored, never touched by runtime SQL in the story site's src/. */
export const LEGACY_AUTH_TABLES = ['users', 'accounts', 'sessions', 'verification_token'] as const;

const schemaSql = fs.readFileSync(storySitePath('sql', 'app-schema.sql'), 'utf8');

/** Creates the story site's tables where absent (tests, demo, `tandem sample`). */
export async function createAppSchema(db: Queryable): Promise<void> {
  await db.query(schemaSql);
}

/** The story site's project config (what Tandem mirrors, its invariants, its legacy tables). */
export const STORY_SITE_CONFIG_FILE = storySitePath('tandem.config.json');

export function loadStorySiteConfig(): Promise<ProjectConfig> {
  return loadProjectConfig({ file: STORY_SITE_CONFIG_FILE });
}
