/**
 * The story site's mirror configuration as discovery derives it from its
 * schema (sql/app-schema.sql) and its config: a fixture for the tests that
 * need it without a database. test/discovery/discovery.test.ts checks that
 * discovery on a live database still gives exactly this.
 * Tables in plan order, parents first (docs/plan.md).
 * Plain values, no ref_* field (not mirrored): story.author → users, story.author_change → users,
 * story_approval.user_id → users, story_done.user_id → users.
 *
 * Apart from storySiteMirror.ts, which also reads the project config through
 * the public API: a pure test that imports only this file does not load all of
 * `tandem` (seconds per mutant in a mutation run).
 */
import { DEFAULT_TOOL_SCHEMA, type ToolSchema } from '../../src/core/toolSchema.js';
import type { MirrorConfig } from '../../src/mapping/tableConfig.js';

export const STORY_SITE_TABLES: MirrorConfig = {
  schema: 'public',
  tables: [
    {
      schema: 'public',
      name: 'language',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'name', type: 'varchar', nullable: false },
        { name: 'short', type: 'varchar', nullable: false },
        { name: 'flag', type: 'float8', nullable: true },
        { name: 'flag_file', type: 'varchar', nullable: true },
        { name: 'speaker', type: 'varchar', nullable: true },
        { name: 'default_text', type: 'varchar', nullable: true },
        { name: 'tts_replace', type: 'text', nullable: true },
        { name: 'public', type: 'bool', nullable: false },
        { name: 'rtl', type: 'bool', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [],
    },
    {
      schema: 'public',
      name: 'localization',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'language_id', type: 'int4', nullable: false },
        { name: 'tag', type: 'varchar', nullable: false },
        { name: 'text', type: 'text', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ column: 'language_id', references: 'language' }],
    },
    {
      schema: 'public',
      name: 'image',
      columns: [
        { name: 'id', type: 'varchar', nullable: false },
        { name: 'active', type: 'varchar', nullable: false },
        { name: 'gilded', type: 'varchar', nullable: false },
        { name: 'locked', type: 'varchar', nullable: false },
        { name: 'active_lip', type: 'varchar', nullable: false },
        { name: 'gilded_lip', type: 'varchar', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [],
    },
    {
      schema: 'public',
      name: 'avatar',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'link', type: 'varchar', nullable: false },
        { name: 'name', type: 'varchar', nullable: true },
      ],
      primaryKey: ['id'],
      foreignKeys: [],
    },
    {
      schema: 'public',
      name: 'speaker',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'language_id', type: 'int4', nullable: false },
        { name: 'speaker', type: 'varchar', nullable: false },
        {
          name: 'gender',
          type: 'enum',
          nullable: false,
          enumName: 'gender_enum',
          enumValues: ['MALE', 'FEMALE'],
        },
        {
          name: 'type',
          type: 'enum',
          nullable: false,
          enumName: 'type_enum',
          enumValues: ['NORMAL', 'NEURAL'],
        },
        { name: 'service', type: 'varchar', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ column: 'language_id', references: 'language' }],
    },
    {
      schema: 'public',
      name: 'avatar_mapping',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'avatar_id', type: 'int4', nullable: false },
        { name: 'language_id', type: 'int4', nullable: false },
        { name: 'name', type: 'varchar', nullable: true },
        { name: 'speaker', type: 'varchar', nullable: true },
      ],
      primaryKey: ['id'],
      foreignKeys: [
        { column: 'avatar_id', references: 'avatar' },
        { column: 'language_id', references: 'language' },
      ],
    },
    {
      schema: 'public',
      name: 'course',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'short', type: 'varchar', nullable: true },
        { name: 'learning_language', type: 'int4', nullable: true },
        { name: 'from_language', type: 'int4', nullable: true },
        { name: 'public', type: 'bool', nullable: false },
        { name: 'official', type: 'bool', nullable: false },
        { name: 'name', type: 'varchar', nullable: true },
        { name: 'about', type: 'text', nullable: true },
        { name: 'conlang', type: 'bool', nullable: true },
        { name: 'tags', type: 'varchar', array: true, nullable: true },
        { name: 'count', type: 'int4', nullable: true },
        { name: 'learning_language_name', type: 'varchar', nullable: true },
        { name: 'from_language_name', type: 'varchar', nullable: true },
        { name: 'contributors', type: 'varchar', array: true, nullable: false },
        { name: 'contributors_past', type: 'varchar', array: true, nullable: false },
        { name: 'todo_count', type: 'int4', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [
        { column: 'learning_language', references: 'language' },
        { column: 'from_language', references: 'language' },
      ],
    },
    {
      schema: 'public',
      name: 'story',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'duo_id', type: 'varchar', nullable: true },
        { name: 'name', type: 'varchar', nullable: true },
        { name: 'set_id', type: 'int4', nullable: false },
        { name: 'set_index', type: 'int4', nullable: false },
        { name: 'author', type: 'int4', nullable: true },
        { name: 'author_change', type: 'int4', nullable: true },
        { name: 'date', type: 'timestamptz', nullable: true },
        { name: 'change_date', type: 'timestamptz', nullable: true },
        { name: 'date_published', type: 'timestamptz', nullable: true },
        { name: 'text', type: 'text', nullable: true },
        { name: 'public', type: 'bool', nullable: true },
        { name: 'image', type: 'varchar', nullable: true },
        { name: 'course_id', type: 'int4', nullable: true },
        { name: 'json', type: 'jsonb', nullable: true },
        {
          name: 'status',
          type: 'enum',
          nullable: true,
          enumName: 'story_status',
          enumValues: ['draft', 'feedback', 'finished'],
        },
        { name: 'deleted', type: 'bool', nullable: true },
        { name: 'todo_count', type: 'int4', nullable: false },
      ],
      primaryKey: ['id'],
      foreignKeys: [
        { column: 'image', references: 'image' },
        { column: 'course_id', references: 'course' },
      ],
      heavy: { table: 'story_content', columns: ['text', 'json'] },
    },
    {
      schema: 'public',
      name: 'story_approval',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'story_id', type: 'int4', nullable: true },
        { name: 'user_id', type: 'int4', nullable: true },
        { name: 'date', type: 'timestamptz', nullable: true },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ column: 'story_id', references: 'story' }],
    },
    {
      schema: 'public',
      name: 'story_done',
      columns: [
        { name: 'id', type: 'int4', nullable: false },
        { name: 'user_id', type: 'int4', nullable: true },
        { name: 'story_id', type: 'int4', nullable: true },
        { name: 'time', type: 'timestamptz', nullable: true },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ column: 'story_id', references: 'story' }],
    },
  ],
};

/** The story site's mirrored tables, in plan order. */
export const STORY_SITE_TABLE_NAMES: string[] = STORY_SITE_TABLES.tables.map((t) => t.name);

/** installCapture options for every story-site table (spread, then override `tables`). */
export function storySiteCapture(): { tool: ToolSchema; tables: string[]; mirror: MirrorConfig } {
  return { tool: DEFAULT_TOOL_SCHEMA, tables: STORY_SITE_TABLE_NAMES, mirror: STORY_SITE_TABLES };
}

/**
 * The story site's write groups in dependency order, as orderWriteGroups puts
 * them over its plan (a group after the groups its tables reference; among
 * groups ready together, the plan's earlier table first): the order the
 * end-of-plan test and `tandem demo --to-the-end` move and retire them in.
 */
export const STORY_SITE_GROUP_ORDER = [
  'image',
  'course+language+story+story_approval',
  'localization',
  'avatar',
  'speaker',
  'avatar_mapping',
  'story_done',
] as const;
