-- The capture trigger function shared by every captured table, its helpers,
-- the untracked-writes view and outbox pruning. Names are schema-qualified
-- everywhere because the trigger runs with the writer's search_path.

-- Canonical key text (must agree with canonicalKey in src/core/changes.ts):
-- the column's text for a one-column key, a JSON array of texts otherwise.
-- to_json(text[]) prints no spaces, like JSON.stringify.
CREATE OR REPLACE FUNCTION {{tool}}.row_key(r jsonb, key_columns text[])
RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN cardinality(key_columns) = 1 THEN r ->> key_columns[1]
    ELSE (SELECT to_json(array_agg(r ->> c ORDER BY o))::text
            FROM unnest(key_columns) WITH ORDINALITY AS u(c, o)) END
$$;

-- Replaces JSON numbers (at any array depth) with their exact text, so int8 and
-- numeric values reach JavaScript without losing precision.
CREATE OR REPLACE FUNCTION {{tool}}.json_numbers_as_text(v jsonb)
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE jsonb_typeof(v)
    WHEN 'number' THEN to_jsonb(v #>> '{}')
    WHEN 'array' THEN coalesce(
      (SELECT jsonb_agg({{tool}}.json_numbers_as_text(e) ORDER BY o)
         FROM jsonb_array_elements(v) WITH ORDINALITY AS a(e, o)),
      '[]'::jsonb)
    ELSE v END
$$;

CREATE OR REPLACE FUNCTION {{tool}}.columns_as_text(r jsonb, text_columns text[])
RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT r || coalesce(jsonb_object_agg(c, {{tool}}.json_numbers_as_text(r -> c)), '{}'::jsonb)
    FROM unnest(text_columns) AS c
$$;

-- Trigger arguments (set by installCapture from the catalog):
--   TG_ARGV[0] = number of primary-key columns n,
--   TG_ARGV[1..n] = primary-key columns in key order,
--   TG_ARGV[n+1..] = int8/numeric columns (or arrays of them) to carry as text.
CREATE OR REPLACE FUNCTION {{tool}}.capture_change()
RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  n_keys int := TG_ARGV[0]::int;
  key_columns text[] := TG_ARGV[1:n_keys];
  operation_key text := nullif(current_setting('tandem.operation_key', true), '');
  tx xid8 := pg_current_xact_id();
  new_row jsonb;
  new_key text;
  old_key text;
  new_op text := lower(TG_OP);
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO {{tool}}.outbox (txid, table_name, key, op, "row", operation_key)
      VALUES (tx, TG_TABLE_NAME, {{tool}}.row_key(to_jsonb(OLD), key_columns), 'delete', NULL, operation_key);
    RETURN NULL;
  END IF;
  -- Binary-image comparison works for every column type (json has no "=").
  IF TG_OP = 'UPDATE' AND NEW *= OLD THEN
    RETURN NULL;
  END IF;
  new_row := to_jsonb(NEW);
  new_key := {{tool}}.row_key(new_row, key_columns);
  IF TG_OP = 'UPDATE' THEN
    old_key := {{tool}}.row_key(to_jsonb(OLD), key_columns);
    IF old_key <> new_key THEN
      -- A changed primary key is a different row for the mirror.
      INSERT INTO {{tool}}.outbox (txid, table_name, key, op, "row", operation_key)
        VALUES (tx, TG_TABLE_NAME, old_key, 'delete', NULL, operation_key);
      new_op := 'insert';
    END IF;
  END IF;
  IF TG_NARGS > n_keys + 1 THEN
    new_row := {{tool}}.columns_as_text(new_row, TG_ARGV[n_keys + 1:TG_NARGS - 1]);
  END IF;
  INSERT INTO {{tool}}.outbox (txid, table_name, key, op, "row", operation_key)
    VALUES (tx, TG_TABLE_NAME, new_key, new_op, new_row, operation_key);
  RETURN NULL;
END
$$;

-- Untracked writes per table: events still in the outbox plus those already
-- pruned (rolled up by tandem.prune_outbox).
CREATE OR REPLACE VIEW {{tool}}.untracked_writes AS
SELECT table_name, sum(count)::bigint AS count, max(last_seen_at) AS last_seen_at, max(last_txid) AS last_txid
  FROM (
    SELECT table_name, count, last_seen_at, last_txid FROM {{tool}}.untracked_write
    UNION ALL
    SELECT table_name, count(*), max(captured_at), max(txid)
      FROM {{tool}}.outbox WHERE operation_key IS NULL GROUP BY table_name
  ) s
 GROUP BY table_name;

-- Deletes up to max_rows processed (done or dead) events older than cutoff,
-- folding their untracked counts into tandem.untracked_write in the same
-- statement. Returns the number of events deleted.
CREATE OR REPLACE FUNCTION {{tool}}.prune_outbox(cutoff timestamptz, max_rows int DEFAULT 10000)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  deleted bigint;
BEGIN
  WITH doomed AS (
    DELETE FROM {{tool}}.outbox
     WHERE seq IN (SELECT seq FROM {{tool}}.outbox
                    WHERE status <> 'pending' AND processed_at < cutoff
                    ORDER BY processed_at LIMIT max_rows
                    FOR UPDATE SKIP LOCKED)
    RETURNING table_name, operation_key, captured_at, txid
  ), untracked AS (
    SELECT table_name, count(*) AS n, max(captured_at) AS last_seen, max(txid) AS last_txid
      FROM doomed WHERE operation_key IS NULL GROUP BY table_name
  ), rolled AS (
    INSERT INTO {{tool}}.untracked_write AS u (table_name, count, last_seen_at, last_txid)
    SELECT table_name, n, last_seen, last_txid FROM untracked
    ON CONFLICT (table_name) DO UPDATE
      SET count = u.count + excluded.count,
          last_seen_at = greatest(u.last_seen_at, excluded.last_seen_at),
          last_txid = greatest(u.last_txid, excluded.last_txid)
  )
  SELECT count(*) INTO deleted FROM doomed;
  RETURN deleted;
END
$$;
