-- Cheaper capture, measured by bench/captureOverhead.ts:
--  * The old row's key is read from the record itself instead of converting the
--    whole old row to jsonb (for a story with 100 KB of text and json, that
--    conversion cost about as much as the write it was capturing).
--  * Row images in the outbox are compressed with lz4 where the server has it
--    (about 4x faster than the default pglz at the same size); PGlite and
--    servers built without lz4 keep the default.

-- Key text of a record: the same text tandem.row_key gives for its jsonb image,
-- for the key types capture accepts (integers, numeric, text-like, uuid, enum),
-- whose ::text and jsonb ->> forms are identical.
CREATE OR REPLACE FUNCTION {{tool}}.record_key(r anyelement, key_columns text[])
RETURNS text LANGUAGE plpgsql STABLE AS $$
DECLARE
  k text;
BEGIN
  -- A small row converts to jsonb faster than dynamic SQL can be planned.
  IF pg_column_size(r) <= 2048 THEN
    RETURN {{tool}}.row_key(to_jsonb(r), key_columns);
  END IF;
  IF cardinality(key_columns) = 1 THEN
    EXECUTE format('SELECT ($1).%I::text', key_columns[1]) INTO k USING r;
  ELSE
    EXECUTE format('SELECT to_json(ARRAY[%s])::text',
                   (SELECT string_agg(format('($1).%I::text', c), ', ' ORDER BY o)
                      FROM unnest(key_columns) WITH ORDINALITY AS u(c, o)))
      INTO k USING r;
  END IF;
  RETURN k;
END
$$;

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
      VALUES (tx, TG_TABLE_NAME, {{tool}}.record_key(OLD, key_columns), 'delete', NULL, operation_key);
    RETURN NULL;
  END IF;
  -- Binary-image comparison works for every column type (json has no "=").
  IF TG_OP = 'UPDATE' AND NEW *= OLD THEN
    RETURN NULL;
  END IF;
  new_row := to_jsonb(NEW);
  IF n_keys = 1 THEN
    new_key := new_row ->> key_columns[1];
  ELSE
    new_key := {{tool}}.row_key(new_row, key_columns);
  END IF;
  IF TG_OP = 'UPDATE' THEN
    old_key := {{tool}}.record_key(OLD, key_columns);
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

DO $$
BEGIN
  ALTER TABLE {{tool}}.outbox ALTER COLUMN "row" SET COMPRESSION lz4;
  ALTER TABLE {{tool}}.dead_letter ALTER COLUMN "row" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR undefined_object THEN
  NULL; -- no lz4 in this build: keep the default compression
END $$;
