import fs from 'node:fs';
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
