-- Backfill: the row-version lookup and the per-table progress record
-- (src/backfill/, docs/backfill.md).

-- A backfilled row carries the newest outbox seq of its key, read in the same
-- statement as the row. This index makes that a single index probe per row.
-- Built inside the migration's transaction (not CONCURRENTLY): on a large
-- outbox, run `tandem init` when a short pause of capture writes is acceptable.
CREATE INDEX outbox_table_key_seq ON {{tool}}.outbox (table_name, key, seq);

-- One row per table a backfill has touched. last_key holds the text of each
-- primary-key column of the last row Convex acknowledged, in key order (null:
-- nothing copied yet); a resumed run continues after it.
CREATE TABLE {{tool}}.backfill_state (
  table_name text PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('running', 'stopped', 'done')),
  key_columns text[] NOT NULL,
  last_key jsonb NULL,
  -- Rows Convex acknowledged (applied or skipped as not newer).
  rows_copied bigint NOT NULL DEFAULT 0,
  -- Of those, rows Convex already held at the same or a newer version.
  rows_skipped bigint NOT NULL DEFAULT 0,
  -- Rows Convex cannot hold (see tandem.backfill_rejected).
  rows_rejected bigint NOT NULL DEFAULT 0,
  -- Rows to copy when the run (or its last resume) started: for percentages.
  rows_total bigint NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz NULL,
  -- Why the last run stopped early (null when it did not fail).
  last_error text NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Rows a backfill could not copy because Convex cannot hold a value (the
-- backfill's counterpart of the relay's dead letters), with the mapping rule.
CREATE TABLE {{tool}}.backfill_rejected (
  id bigserial PRIMARY KEY,
  table_name text NOT NULL,
  key text NOT NULL,
  version bigint NOT NULL,
  rule text NOT NULL,
  column_name text NULL,
  reason text NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX backfill_rejected_table ON {{tool}}.backfill_rejected (table_name, id);
