-- Tandem's own state lives in schema `tandem`, never among the application's
-- tables. Applied by src/postgres/migrate.ts inside one transaction holding the
-- migration advisory lock; the version row is inserted by the runner.

CREATE SCHEMA IF NOT EXISTS {{tool}};

CREATE TABLE {{tool}}.schema_version (
  version int PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- One row per captured row change, written by the capture trigger in the
-- writer's transaction. `seq` is also the row version (drawn after the row lock
-- is held, so it increases per row in commit order).
CREATE TABLE {{tool}}.outbox (
  seq bigserial PRIMARY KEY,
  txid xid8 NOT NULL,
  table_name text NOT NULL,
  key text NOT NULL,
  op text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  "row" jsonb NULL,
  operation_key text NULL,
  captured_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'dead')),
  attempts int NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  leased_by text NULL,
  lease_expires_at timestamptz NULL,
  last_error text NULL,
  processed_at timestamptz NULL
);

-- Claiming: pending events in seq order (the relay filters next_attempt_at and
-- the lease on the few rows at the head). Small, because done rows leave it.
CREATE INDEX outbox_pending_seq ON {{tool}}.outbox (seq) WHERE status = 'pending';
-- Whole transactions: all events of a txid, in order (relay and the mirror fast path).
CREATE INDEX outbox_txid_seq ON {{tool}}.outbox (txid, seq);
-- Pruning processed rows past their retention.
CREATE INDEX outbox_processed_at ON {{tool}}.outbox (processed_at) WHERE status <> 'pending';
-- Untracked-write counts per table (only untracked events enter it).
CREATE INDEX outbox_untracked ON {{tool}}.outbox (table_name) WHERE operation_key IS NULL;

CREATE TABLE {{tool}}.dead_letter (
  id bigserial PRIMARY KEY,
  seq bigint NOT NULL,
  txid xid8 NOT NULL,
  table_name text NOT NULL,
  key text NOT NULL,
  op text NOT NULL CHECK (op IN ('insert', 'update', 'delete')),
  "row" jsonb NULL,
  operation_key text NULL,
  reason text NOT NULL,
  rule text NULL,
  column_name text NULL,
  attempts int NOT NULL DEFAULT 0,
  first_failed_at timestamptz NULL,
  dead_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz NULL,
  resolution text NULL
);
CREATE INDEX dead_letter_unresolved ON {{tool}}.dead_letter (table_name, id) WHERE resolved_at IS NULL;
CREATE INDEX dead_letter_seq ON {{tool}}.dead_letter (seq);

-- Untracked writes already pruned from the outbox, rolled up per table
-- (see tandem.prune_outbox). Live counts come from the outbox itself, so the
-- trigger never updates a shared counter row (that would serialize writers).
CREATE TABLE {{tool}}.untracked_write (
  table_name text PRIMARY KEY,
  count bigint NOT NULL DEFAULT 0,
  last_seen_at timestamptz NULL,
  last_txid xid8 NULL
);

CREATE TABLE {{tool}}.checkpoint (
  name text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {{tool}}.audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor text NOT NULL,
  action text NOT NULL,
  target text NULL,
  detail jsonb NULL
);
CREATE INDEX audit_log_at ON {{tool}}.audit_log (at);

-- Tables with the capture trigger installed, and the arguments it was given.
CREATE TABLE {{tool}}.captured_table (
  table_name text PRIMARY KEY,
  key_columns text[] NOT NULL,
  text_columns text[] NOT NULL DEFAULT '{}',
  installed_at timestamptz NOT NULL DEFAULT now(),
  installed_by text NOT NULL
);
