-- Refused writes to frozen tables, counted (docs/phases.md, "Freeze"). A
-- refused write's transaction rolls back, so nothing it wrote can say it was
-- tried; a sequence's nextval is not undone by a rollback. Each freeze creates
-- a sequence for its table (named in table_freeze.refusals_seq) and passes it
-- to the trigger, which draws from it before raising: the sequence's value is
-- the number of writes refused since the freeze, for the untracked-writes
-- report. Triggers installed before this migration have no argument and only
-- raise, as before. The message now names the table as SQL would write it
-- (quote_ident), so an awkward schema or table name reads unambiguously.
ALTER TABLE {{tool}}.table_freeze ADD COLUMN refusals_seq text NULL;

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
  IF TG_NARGS > 0 THEN
    PERFORM nextval(TG_ARGV[0]::regclass);
  END IF;
  RAISE EXCEPTION 'table %.% is frozen: its writes moved to Convex (tandem freeze); % refused',
    quote_ident(TG_TABLE_SCHEMA), quote_ident(TG_TABLE_NAME), TG_OP
    USING ERRCODE = 'TF001',
          HINT = 'write through the application''s Convex write path, or run tandem unfreeze';
END
$$;
