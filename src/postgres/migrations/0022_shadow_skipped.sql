-- Shadow reads served uncompared because too many comparisons were under way
-- (the Reader's shadow.maxInFlight: a slow or hanging Convex), counted per
-- table as class 'skipped' so `tandem shadow report` shows how much of the
-- traffic went unchecked. A skipped read is not a comparison: the report and
-- the drift-rate signals leave it out of `compared`.
ALTER TABLE {{tool}}.shadow_count DROP CONSTRAINT shadow_count_class_check;
ALTER TABLE {{tool}}.shadow_count
  ADD CONSTRAINT shadow_count_class_check CHECK (class IN ('match', 'lag', 'drift', 'error', 'skipped'));
