-- Write cutover (docs/write-cutover.md): the write groups, each group's write
-- stage, the audit log of every change to it, and the write paths seen at
-- runtime that crossed groups.

-- One row per group. `tables` is sorted; a table belongs to at most one group
-- (tandem.write_group_table). `stage` is the group's writer: postgres,
-- convex-shadow (Postgres writes, Convex is tried on a scratch copy), convex.
-- `paused_at` is set while a rollback holds the group's writes; `version`
-- increases with every change of any group (routers poll it).
CREATE TABLE {{tool}}.write_group (
  name text PRIMARY KEY,
  tables text[] NOT NULL,
  write_paths text[] NOT NULL DEFAULT '{}',
  stage text NOT NULL DEFAULT 'postgres' CHECK (stage IN ('postgres', 'convex-shadow', 'convex')),
  paused_at timestamptz NULL,
  version bigint NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE {{tool}}.write_group_table (
  table_name text PRIMARY KEY,
  group_name text NOT NULL REFERENCES {{tool}}.write_group (name) ON DELETE CASCADE
);

CREATE SEQUENCE {{tool}}.write_stage_version;

-- Who, when, why, from, to. `forced` when a precondition was overridden, and
-- `refusals` the reasons that were overridden; `pause_ms` how long a rollback
-- held the group's writes; `detail` anything else (drain result, group saves).
CREATE TABLE {{tool}}.write_stage_history (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  group_name text NOT NULL,
  actor text NOT NULL,
  why text NOT NULL,
  action text NOT NULL CHECK (action IN ('set', 'rollback', 'groups-saved')),
  from_stage text NULL,
  to_stage text NULL,
  forced boolean NOT NULL DEFAULT false,
  refusals jsonb NULL,
  pause_ms double precision NULL,
  detail jsonb NULL
);
CREATE INDEX write_stage_history_group ON {{tool}}.write_stage_history (group_name, id);

-- Transactions seen in the outbox that wrote tables of more than one group.
-- Whether one still crosses is decided against the current groups (saving
-- groups that join its tables resolves it).
CREATE TABLE {{tool}}.write_crossing (
  txid text PRIMARY KEY,
  tables text[] NOT NULL,
  operation_key text NULL,
  seen_at timestamptz NOT NULL DEFAULT now()
);
