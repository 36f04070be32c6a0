-- Alert rules (docs/alerts.md): each alert's current state, shared by every
-- process that evaluates rules, and the history of its transitions for the
-- dashboard. A transition is written only when it changes the shared state,
-- so two processes evaluating the same rules notify once.

CREATE TABLE {{tool}}.alert_state (
  rule text NOT NULL,
  table_name text NOT NULL,
  state text NOT NULL CHECK (state IN ('inactive', 'pending', 'firing', 'resolved')),
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  summary text NOT NULL,
  active_at timestamptz NULL,
  fired_at timestamptz NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (rule, table_name)
);

CREATE TABLE {{tool}}.alert_event (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  rule text NOT NULL,
  table_name text NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL CHECK (to_state IN ('inactive', 'pending', 'firing', 'resolved')),
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  value double precision NOT NULL,
  threshold double precision NOT NULL,
  summary text NOT NULL
);

CREATE INDEX alert_event_at ON {{tool}}.alert_event (at DESC, id DESC);
CREATE INDEX alert_event_table ON {{tool}}.alert_event (table_name, at DESC);
