/**
 * What the live catalog cannot say about the mirror, written by hand: which
 * tables are mirrored (and in what order to prefer when foreign keys leave a
 * choice), which tables are never mirrored, and which columns are heavy and
 * live in a companion Convex table. `tandem codegen` combines these settings
 * with the catalog to write tables.ts; `tandem plan` uses them to scope and
 * order the plan. Another application passes its own settings as JSON
 * (`--settings file.json`), validated by mirrorSettingsSchema.
 */
import fs from 'node:fs';
import { z } from 'zod';
import { APP_TABLES, LEGACY_AUTH_TABLES } from '../app/schema.js';
import { ConfigError } from '../core/errors.js';

const heavySchema = z.object({
  /** Name of the companion Convex table. */
  table: z.string().min(1),
  columns: z.array(z.string().min(1)).min(1),
});

export const mirrorSettingsSchema = z.object({
  /** Postgres schema holding the application's tables. */
  schema: z.string().min(1).default('public'),
  /**
   * Mirrored tables, in the preferred order (used to break ties the foreign
   * keys leave open). Absent: every table of the schema except notMirrored.
   */
  tables: z.array(z.string().min(1)).min(1).optional(),
  /**
   * Tables never mirrored: foreign keys to them stay plain values and are
   * reported as such. The legacy auth tables are always added.
   */
  notMirrored: z
    .array(z.string().min(1))
    .default([])
    .transform((list) => [...new Set([...list, ...LEGACY_AUTH_TABLES])]),
  /** Heavy columns per table, kept in a companion Convex table. */
  heavy: z.record(z.string(), heavySchema).default({}),
});

export type MirrorSettings = z.output<typeof mirrorSettingsSchema>;

/** The story site: its ten tables in the plan's recommended order, story text and json kept apart. */
export const STORY_SITE_SETTINGS: MirrorSettings = {
  schema: 'public',
  tables: [...APP_TABLES],
  notMirrored: [...LEGACY_AUTH_TABLES],
  heavy: { story: { table: 'story_content', columns: ['text', 'json'] } },
};

/** Validates settings read from JSON; the error names the offending setting. */
export function parseMirrorSettings(value: unknown, source = 'settings'): MirrorSettings {
  const parsed = mirrorSettingsSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `${source}.${issue?.path.join('.') || '(root)'}`,
      issue?.message ?? 'invalid',
    );
  }
  const settings = parsed.data;
  const excluded = new Set(settings.notMirrored);
  for (const table of settings.tables ?? []) {
    if (excluded.has(table))
      throw new ConfigError(`${source}.tables`, `${table} is also listed in notMirrored`);
  }
  return settings;
}

/** Settings from a JSON file (`--settings`), or the story site's when no file is given. */
export function loadMirrorSettings(file?: string): MirrorSettings {
  if (!file) return STORY_SITE_SETTINGS;
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError('settings', `cannot read ${file}: ${(err as Error).message}`);
  }
  return parseMirrorSettings(value, file);
}
