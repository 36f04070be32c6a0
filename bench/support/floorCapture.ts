/**
 * The cheapest row-trigger capture there could be, for the capture benchmark's
 * `floor` variant: every row change appends its key-less jsonb image to a table
 * with only a primary key. Nothing can be mirrored from it (no transaction id,
 * no key, no operation key, nothing for a relay to claim by); it exists only to
 * show what writing one more row per change costs the write paths on this
 * machine, the price any trigger-based outbox pays before doing anything useful.
 */
import pg from 'pg';
import type { Queryable } from '../../src/postgres/database.js';
import { APP_TABLES } from '../../examples/story-site/src/app/schema.js';

export async function installFloorCapture(db: Queryable): Promise<void> {
  await db.query(`
    CREATE TABLE bench_floor_log (seq bigserial PRIMARY KEY, "row" jsonb);
    CREATE FUNCTION bench_floor_capture() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO bench_floor_log ("row") VALUES (CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END);
      RETURN NULL;
    END $$;`);
  for (const table of APP_TABLES) {
    await db.query(`CREATE TRIGGER bench_floor AFTER INSERT OR UPDATE OR DELETE ON public.${pg.escapeIdentifier(table)}
                      FOR EACH ROW EXECUTE FUNCTION bench_floor_capture()`);
  }
}
