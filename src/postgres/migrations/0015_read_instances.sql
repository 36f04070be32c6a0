-- The running instances that hold the read stages (ReadFlags), so a rollback
-- drill (tandem drill rollback, docs/phases.md) can wait for each one to follow
-- a stage change and say how long it took. Each instance registers once,
-- beats every second, and acknowledges every load of the stages with the
-- highest stage version it applied (tandem.read_flag.version) and when, by the
-- database clock, so instances on hosts with skewed clocks compare fairly.
CREATE TABLE {{tool}}.read_instance (
  id text PRIMARY KEY,
  host text NOT NULL,
  pid integer NOT NULL,
  -- What the process is (serve, dev, an application's own name).
  label text NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now(),
  applied_version bigint NOT NULL DEFAULT 0,
  applied_at timestamptz NULL,
  -- Set by a clean close: a stopped instance is never waited for.
  stopped_at timestamptz NULL
);
CREATE INDEX read_instance_heartbeat ON {{tool}}.read_instance (heartbeat_at);
