-- A table whose shape changed under capture (a column added, dropped, renamed
-- or retyped) is paused by the relay instead of being mis-mapped: its events
-- stay in the outbox, in order, until `capture install` resumes it.
-- One row per table that was ever paused or (re)installed: paused while
-- resumed_at is NULL. resumed_at is bumped by every install, so a relay can
-- tell that the table's shape may have changed since it discovered the mirror.
CREATE TABLE {{tool}}.table_pause (
  table_name text PRIMARY KEY,
  reason text NULL,
  detail jsonb NULL,
  paused_at timestamptz NULL,
  resumed_at timestamptz NULL
);

-- The columns (name and mapped type) each table had when `capture install`
-- last ran, i.e. the shape the Convex side was generated and deployed for. A
-- relay that starts after a schema change compares the live table with it.
ALTER TABLE {{tool}}.captured_table ADD COLUMN columns jsonb NULL;
