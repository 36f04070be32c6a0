-- Where each table stands on its way from Postgres to Convex (the plan's
-- phases, src/phases/phases.ts and docs/phases.md). Gates are never stored as
-- checkboxes: they are computed from live state and from the evidence below.

-- The phase each table is in. A table with no row is `not-mirrored`.
CREATE TABLE {{tool}}.table_phase (
  table_name text PRIMARY KEY,
  phase text NOT NULL,
  entered_at timestamptz NOT NULL,
  -- Entered past an unmet gate with --force (the audit log has who and why).
  forced boolean NOT NULL DEFAULT false
);

-- Evidence recorded by drills, freeze and archive: one row per attempt, passed
-- or not, so the checklist can show when a gate was met and what proved it.
CREATE TABLE {{tool}}.phase_evidence (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  -- idempotency-drill | rollback-drill | freeze | archive
  kind text NOT NULL,
  passed boolean NOT NULL,
  recorded_at timestamptz NOT NULL,
  detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX phase_evidence_table_kind ON {{tool}}.phase_evidence (table_name, kind, recorded_at DESC, id DESC);

-- Tables whose Postgres writes are frozen (`tandem freeze`). The freeze
-- trigger on the table calls tandem.reject_frozen_write().
CREATE TABLE {{tool}}.table_freeze (
  table_name text PRIMARY KEY,
  frozen_at timestamptz NOT NULL,
  why text NOT NULL
);

-- Rejects every write to a frozen table, naming it, with SQLSTATE TF001, so a
-- forgotten write path fails loudly. Tandem's own reverse sync (the write
-- cutover) sets tandem.reverse_sync = 'on' in its transaction and passes.
CREATE FUNCTION {{tool}}.reject_frozen_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF coalesce(current_setting('tandem.reverse_sync', true), '') = 'on' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'table %.% is frozen: its writes moved to Convex (tandem freeze); % refused',
    TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'TF001',
          HINT = 'write through the application''s Convex write path, or run tandem unfreeze';
END
$$;
