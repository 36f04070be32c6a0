-- Read cutover (docs/read-cutover.md): each mirrored table's read stage, the
-- audit log of every change to it, and what shadow reads found.

-- A table with no row reads from Postgres. `salt` keys its sticky buckets and
-- is kept for the table's lifetime, so a rollback and a new ramp select the
-- same users first. `version` increases with every change (readers poll it).
CREATE TABLE {{tool}}.read_flag (
  table_name text PRIMARY KEY,
  stage text NOT NULL CHECK (stage IN ('postgres', 'shadow', 'convex-internal', 'convex-percent', 'convex')),
  percent numeric(5, 2) NOT NULL DEFAULT 0 CHECK (percent >= 0 AND percent <= 100),
  salt text NOT NULL,
  version bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE SEQUENCE {{tool}}.read_flag_version;

-- Who, when, why, from, to; `rule` and `detail` (the values that breached it)
-- when an automatic rollback made the change; `forced` when a step was skipped.
CREATE TABLE {{tool}}.read_flag_history (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  table_name text NOT NULL,
  actor text NOT NULL,
  why text NOT NULL,
  from_stage text NOT NULL,
  from_percent numeric(5, 2) NOT NULL,
  to_stage text NOT NULL,
  to_percent numeric(5, 2) NOT NULL,
  forced boolean NOT NULL DEFAULT false,
  rule text NULL,
  detail jsonb NULL
);
CREATE INDEX read_flag_history_table ON {{tool}}.read_flag_history (table_name, id);

-- Shadow comparisons counted per table and class (match, lag, drift, error),
-- and per mode: 'ab' compares Postgres with Convex, 'aa' Postgres with itself
-- (the noise floor). Each process adds its counts in batches.
CREATE TABLE {{tool}}.shadow_count (
  table_name text NOT NULL,
  mode text NOT NULL CHECK (mode IN ('ab', 'aa')),
  class text NOT NULL CHECK (class IN ('match', 'lag', 'drift', 'error')),
  count bigint NOT NULL DEFAULT 0,
  last_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (table_name, mode, class)
);

-- Sampled differences with both results (each capped in size).
CREATE TABLE {{tool}}.shadow_sample (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  mode text NOT NULL,
  class text NOT NULL,
  read_name text NOT NULL,
  tables text[] NOT NULL,
  postgres_result text NULL,
  convex_result text NULL,
  detail text NULL
);
CREATE INDEX shadow_sample_at ON {{tool}}.shadow_sample (at);
