-- Reverse sync (src/reverseSync/, docs/reverse-sync.md): the worker that
-- applies the Convex change log to Postgres once a table's writes are in Convex.

-- The freeze trigger (0009) is a BEFORE ROW trigger: returning NULL from it
-- skips the row, so reverse-sync writes "let through" were silently dropped.
-- It must return the row to let the write happen (NEW for insert and update,
-- OLD for delete; a statement-level TRUNCATE trigger's result is ignored).
CREATE OR REPLACE FUNCTION {{tool}}.reject_frozen_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('tandem.reverse_sync', true), '') = 'on' THEN
    IF TG_LEVEL = 'ROW' THEN
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
      RETURN NEW;
    END IF;
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'table %.% is frozen: its writes moved to Convex (tandem freeze); % refused',
    TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'TF001',
          HINT = 'write through the application''s Convex write path, or run tandem unfreeze';
END
$$;

-- The worker's cursor: the seq of the last change-log entry committed here
-- (applied, skipped as old, or dead-lettered). One row; workers serialize on
-- its row lock, so entries are applied in log order by one worker at a time.
CREATE TABLE {{tool}}.reverse_sync_state (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  cursor_seq bigint NOT NULL DEFAULT 0,
  applied bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO {{tool}}.reverse_sync_state (id) VALUES (true);

-- The newest Convex version applied to each key: an entry at or below it
-- changes nothing (a replay, or an old change after a new one).
CREATE TABLE {{tool}}.reverse_sync_key (
  table_name text NOT NULL,
  key text NOT NULL,
  version bigint NOT NULL,
  PRIMARY KEY (table_name, key)
);

-- Change-log entries the worker gave up on, with the reason (the relay's
-- dead_letter holds outbox events; these come from Convex and carry the doc).
CREATE TABLE {{tool}}.reverse_sync_dead_letter (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL,
  table_name text NOT NULL,
  key text NOT NULL,
  op text NOT NULL CHECK (op IN ('upsert', 'delete')),
  version bigint NOT NULL,
  doc jsonb NULL,
  reason text NOT NULL,
  column_name text NULL,
  attempts int NOT NULL,
  dead_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz NULL,
  resolution text NULL
);
CREATE INDEX reverse_sync_dead_letter_open ON {{tool}}.reverse_sync_dead_letter (id) WHERE resolved_at IS NULL;
