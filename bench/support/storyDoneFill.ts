/** The story_done table of the parity benchmarks: `rows` reads over 1,000 users and 500 stories. */
import { createAppSchema } from '../../examples/story-site/src/app/schema.js';
import { migrate } from '../../src/postgres/migrate.js';
import type { BenchDatabase } from './benchDatabase.js';
import { DEFAULT_TOOL_SCHEMA } from '../../src/core/toolSchema.js';

export async function fillStoryDone(db: BenchDatabase, rows: number): Promise<void> {
  await createAppSchema(db.pool);
  await migrate(db.pool, DEFAULT_TOOL_SCHEMA);
  await db.pool.query(`
    INSERT INTO users (id, name) SELECT g, 'user ' || g FROM generate_series(1, 1000) g;
    INSERT INTO story (id, set_id, set_index, name) SELECT g, 1, g, 'story ' || g FROM generate_series(1, 500) g;`);
  await db.pool.query(
    `INSERT INTO story_done (id, user_id, story_id, time)
     SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 1000 + 1 END, g % 500 + 1,
            timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds'
       FROM generate_series(1, $1::int) g`,
    [rows],
  );
  await db.pool.query('ANALYZE story_done');
}
