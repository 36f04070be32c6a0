-- Reverse sync applies a whole page of the Convex change log in one call
-- (src/reverseSync/applyToPostgres.ts, docs/reverse-sync.md). Before, every entry
-- cost about six sequential round trips from the worker (savepoint, key version
-- lock, key check, upsert or delete, key version, release), so a page of 200
-- took over a thousand, and a write rollback paused writes for seconds while
-- the log drained.
--
-- The SQL that touches an application table is built by the worker, as before
-- (identifiers quoted once in TypeScript, one statement text per table and
-- kind, the row or key as the only parameter), and passed in `statements`:
--   { "<table>": { "upsert": sql, "delete": sql, "key": sql } }
-- Each element of `entries` (in log order) is the JSON text of one of
--   { "op": "upsert" | "delete", "t": table, "k": key text, "v": version, "r": record }
--   { "op": "invalid", "t", "k", "v" }  the worker could not map it: fails unless skipped by version
--   { "op": "refused" }                 fails whatever its version (a table not in the mirror config)
--   { "op": "retired" }                 a decommissioned table's entry: passed over
--   { "op": "dead", "seq", "t", "k", "entry_op", "v", "doc", "reason", "column", "attempts" }
-- Outcome letters: a applied, s skipped (at or below the key's version), r retired, d dead-lettered.
-- Entries come as texts, parsed one by one inside their own subtransaction:
-- a value jsonb refuses (a \u0000 in a string, a lone surrogate) then fails
-- that entry, which the worker retries and dead-letters, not the whole page.

-- One entry. Raises on failure: TR001 when the row's key text (computed by
-- Postgres from the parsed row) is not the log's key, TR002 for "invalid" and
-- "refused"; any other SQLSTATE is Postgres's own (a constraint, a bad value).
CREATE FUNCTION {{tool}}.reverse_sync_apply_entry(statements jsonb, entry_text text, same_version boolean)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  entry jsonb := entry_text::jsonb;
  kind text := entry->>'op';
  entry_version bigint;
  recorded bigint;
  row_key text;
BEGIN
  IF kind = 'retired' THEN
    RETURN 'r';
  ELSIF kind = 'refused' THEN
    RAISE EXCEPTION 'entry refused by the worker' USING ERRCODE = 'TR002';
  ELSIF kind = 'dead' THEN
    INSERT INTO {{tool}}.reverse_sync_dead_letter (seq, table_name, key, op, version, doc, reason, column_name, attempts)
    VALUES ((entry->>'seq')::bigint, entry->>'t', entry->>'k', entry->>'entry_op', (entry->>'v')::bigint,
            entry->'doc', entry->>'reason', entry->>'column', (entry->>'attempts')::int);
    RETURN 'd';
  END IF;
  entry_version := (entry->>'v')::bigint;
  SELECT k.version INTO recorded FROM {{tool}}.reverse_sync_key k
   WHERE k.table_name = entry->>'t' AND k.key = entry->>'k' FOR UPDATE;
  IF FOUND AND (entry_version < recorded OR (entry_version = recorded AND NOT same_version)) THEN
    RETURN 's';
  END IF;
  IF kind = 'delete' THEN
    EXECUTE statements->(entry->>'t')->>'delete' USING entry->'r';
  ELSIF kind = 'upsert' THEN
    EXECUTE statements->(entry->>'t')->>'key' INTO row_key USING entry->'r';
    IF row_key IS DISTINCT FROM entry->>'k' THEN
      RAISE EXCEPTION 'row has key %, the change log says %', row_key, entry->>'k'
        USING ERRCODE = 'TR001', DETAIL = to_jsonb(row_key)::text;
    END IF;
    EXECUTE statements->(entry->>'t')->>'upsert' USING entry->'r';
  ELSE
    RAISE EXCEPTION 'entry cannot be applied' USING ERRCODE = 'TR002';
  END IF;
  INSERT INTO {{tool}}.reverse_sync_key (table_name, key, version) VALUES (entry->>'t', entry->>'k', entry_version)
  ON CONFLICT (table_name, key) DO UPDATE SET version = EXCLUDED.version;
  RETURN 'a';
END
$$;

-- The page, in log order, stopping at the first entry that fails. Returns
-- { "outcomes": "<one letter per entry done>", "failure": null | { index (0-based),
-- sqlstate, message, detail, hint, column, constraint, table, schema, datatype } };
-- the entries before the failure stay applied, nothing of the failing one or
-- after it is.
--
-- First the whole page in one subtransaction: a page that applies cleanly (the
-- usual case) costs one, not one per entry (past 64 in a transaction Postgres's
-- snapshots overflow their subtransaction cache). If anything in it fails, all
-- of it is rolled back and the page is applied again entry by entry, each in a
-- subtransaction of its own, to find the failing one and keep those before it.
CREATE FUNCTION {{tool}}.reverse_sync_apply(statements jsonb, entries text[], same_version boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  entry text;
  entry_index bigint;
  outcomes text := '';
  failure jsonb := NULL;
  f_state text; f_message text; f_detail text; f_hint text; f_column text;
  f_constraint text; f_table text; f_schema text; f_datatype text;
BEGIN
  BEGIN
    FOR entry IN SELECT e.value FROM unnest(entries) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
      outcomes := outcomes || {{tool}}.reverse_sync_apply_entry(statements, entry, same_version);
    END LOOP;
    RETURN jsonb_build_object('outcomes', outcomes, 'failure', NULL);
  EXCEPTION WHEN OTHERS THEN
    outcomes := '';
  END;
  FOR entry, entry_index IN SELECT e.value, e.n FROM unnest(entries) WITH ORDINALITY AS e(value, n) ORDER BY e.n LOOP
    BEGIN
      outcomes := outcomes || {{tool}}.reverse_sync_apply_entry(statements, entry, same_version);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS
        f_state = RETURNED_SQLSTATE, f_message = MESSAGE_TEXT, f_detail = PG_EXCEPTION_DETAIL,
        f_hint = PG_EXCEPTION_HINT, f_column = COLUMN_NAME, f_constraint = CONSTRAINT_NAME,
        f_table = TABLE_NAME, f_schema = SCHEMA_NAME, f_datatype = PG_DATATYPE_NAME;
      failure := jsonb_build_object(
        'index', entry_index - 1, 'sqlstate', f_state, 'message', f_message,
        'detail', nullif(f_detail, ''), 'hint', nullif(f_hint, ''), 'column', nullif(f_column, ''),
        'constraint', nullif(f_constraint, ''), 'table', nullif(f_table, ''),
        'schema', nullif(f_schema, ''), 'datatype', nullif(f_datatype, ''));
      EXIT;
    END;
  END LOOP;
  RETURN jsonb_build_object('outcomes', outcomes, 'failure', failure);
END
$$;
