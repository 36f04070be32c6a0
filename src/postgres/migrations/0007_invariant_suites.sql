-- Invariants come from the application's invariant suites (a plug-in named
-- in the project config), not from a fixed list of six: an invariant is
-- identified by its suite and its own identifier, which may be a name.
ALTER TABLE {{tool}}.parity_run ALTER COLUMN invariant TYPE text USING invariant::text;
ALTER TABLE {{tool}}.parity_run ADD COLUMN suite text NULL;
