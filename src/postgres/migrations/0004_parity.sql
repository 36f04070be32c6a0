-- Parity and invariant history: one row per table (or invariant) per run, and
-- the keys each run found. "Parity green for N days with zero unresolved
-- drift" is computed from these (src/parity/history.ts, docs/parity.md).

CREATE TABLE {{tool}}.parity_run (
  id bigserial PRIMARY KEY,
  -- One command invocation covers several tables: they share a batch id.
  batch_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('parity', 'invariants')),
  table_name text NOT NULL,
  -- parity: count | sample | full; invariants: the store checked (postgres | convex).
  mode text NOT NULL,
  -- invariants only: which of DOMAIN.md's six.
  invariant int NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz NOT NULL,
  pg_rows bigint NULL,
  convex_rows bigint NULL,
  rows_compared bigint NOT NULL DEFAULT 0,
  drift_count int NOT NULL DEFAULT 0,
  pending_count int NOT NULL DEFAULT 0,
  clean boolean NOT NULL,
  note text NULL
);
CREATE INDEX parity_run_table_time ON {{tool}}.parity_run (kind, table_name, finished_at DESC, id DESC);
CREATE INDEX parity_run_time ON {{tool}}.parity_run (finished_at);

-- Keys a run found: missing / extra / different / pending (parity), violation (invariants).
CREATE TABLE {{tool}}.parity_drift (
  id bigserial PRIMARY KEY,
  run_id bigint NOT NULL REFERENCES {{tool}}.parity_run (id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('missing', 'extra', 'different', 'pending', 'violation')),
  key text NOT NULL,
  detail text NULL
);
CREATE INDEX parity_drift_run ON {{tool}}.parity_drift (run_id, kind);
