-- Reverse sync: a dead letter whose document Postgres cannot store, and a
-- failing page applied once more only up to its failure (docs/reverse-sync.md).
--
-- 1. A change-log document holding a value jsonb refuses (a \u0000 in a
-- string, a lone surrogate) failed its entry, as it should, but then failed
-- its dead letter too: the dead-letter order carried the document as jsonb,
-- so the worker ordered it again and again and the cursor never moved. The
-- worker now sends the document as its JSON text (`doc_text`, where such
-- characters are plain `\u` escapes); it is stored as jsonb in `doc` when
-- jsonb takes it, else kept as that text in `doc_text`, with `doc` NULL.
-- The text is exact: JSON.parse gives the document back.
--
-- 2. When a page failed, reverse_sync_apply applied it again entry by entry,
-- each in a subtransaction of its own, up to the failing entry: the failing
-- entry ran twice, and a failure at entry k opened k subtransactions (past 64,
-- Postgres's snapshots overflow their subtransaction cache). The first pass
-- already tells which entry failed, so only the entries before it are
-- applied again, together in one subtransaction, and the failure is reported
-- from the first pass without running the failing entry again.
ALTER TABLE {{tool}}.reverse_sync_dead_letter ADD COLUMN doc_text text NULL;

CREATE OR REPLACE FUNCTION {{tool}}.reverse_sync_apply_entry(statements jsonb, entry_text text, same_version boolean)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  entry jsonb := entry_text::jsonb;
  kind text := entry->>'op';
  entry_version bigint;
  recorded bigint;
  row_key text;
  dead_doc jsonb;
  dead_text text;
BEGIN
  IF kind = 'retired' THEN
    RETURN 'r';
  ELSIF kind = 'refused' THEN
    RAISE EXCEPTION 'entry refused by the worker' USING ERRCODE = 'TR002';
  ELSIF kind = 'dead' THEN
    dead_text := entry->>'doc_text';
    IF dead_text IS NOT NULL THEN
      -- Only a document jsonb refuses stays text; one subtransaction per dead letter, which is rare.
      BEGIN
        dead_doc := dead_text::jsonb;
        dead_text := NULL;
      EXCEPTION WHEN OTHERS THEN
        dead_doc := NULL;
      END;
    END IF;
    INSERT INTO {{tool}}.reverse_sync_dead_letter (seq, table_name, key, op, version, doc, doc_text, reason, column_name, attempts)
    VALUES ((entry->>'seq')::bigint, entry->>'t', entry->>'k', entry->>'entry_op', (entry->>'v')::bigint,
            dead_doc, dead_text, entry->>'reason', entry->>'column', (entry->>'attempts')::int);
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

-- The page, in log order, stopping at the first entry that fails; the result
-- is as in migration 0017: { "outcomes": "<one letter per entry done>",
-- "failure": null | { index (0-based), sqlstate, message, … } }, the entries
-- before the failure applied, nothing of the failing one or after it.
--
-- Each attempt applies entries 1..last in one subtransaction. The first takes
-- the whole page (a clean page costs one subtransaction). When one fails at
-- entry k, its diagnostics are kept and the next attempt takes 1..k-1, which
-- just applied cleanly in this same transaction: a failing page costs two
-- subtransactions, runs the failing entry once and the entries after it not
-- at all. Should the shorter attempt fail as well (a lock timeout, say), it is
-- shortened again, and that failure is the one reported.
CREATE OR REPLACE FUNCTION {{tool}}.reverse_sync_apply(statements jsonb, entries text[], same_version boolean DEFAULT false)
RETURNS jsonb
LANGUAGE plpgsql AS $$
DECLARE
  last_entry int := coalesce(array_length(entries, 1), 0);
  reached int;
  outcomes text;
  failed boolean;
  failure jsonb := NULL;
  f_state text; f_message text; f_detail text; f_hint text; f_column text;
  f_constraint text; f_table text; f_schema text; f_datatype text;
BEGIN
  LOOP
    outcomes := '';
    failed := false;
    BEGIN
      FOR i IN 1..last_entry LOOP
        reached := i;
        outcomes := outcomes || {{tool}}.reverse_sync_apply_entry(statements, entries[i], same_version);
      END LOOP;
    EXCEPTION WHEN OTHERS THEN
      failed := true;
      GET STACKED DIAGNOSTICS
        f_state = RETURNED_SQLSTATE, f_message = MESSAGE_TEXT, f_detail = PG_EXCEPTION_DETAIL,
        f_hint = PG_EXCEPTION_HINT, f_column = COLUMN_NAME, f_constraint = CONSTRAINT_NAME,
        f_table = TABLE_NAME, f_schema = SCHEMA_NAME, f_datatype = PG_DATATYPE_NAME;
      failure := jsonb_build_object(
        'index', reached - 1, 'sqlstate', f_state, 'message', f_message,
        'detail', nullif(f_detail, ''), 'hint', nullif(f_hint, ''), 'column', nullif(f_column, ''),
        'constraint', nullif(f_constraint, ''), 'table', nullif(f_table, ''),
        'schema', nullif(f_schema, ''), 'datatype', nullif(f_datatype, ''));
    END;
    IF NOT failed THEN
      RETURN jsonb_build_object('outcomes', outcomes, 'failure', failure);
    END IF;
    IF reached = 1 THEN
      RETURN jsonb_build_object('outcomes', '', 'failure', failure);
    END IF;
    last_entry := reached - 1;
  END LOOP;
END
$$;
