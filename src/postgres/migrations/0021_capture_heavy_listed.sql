-- Cheaper capture of updates that leave a table's heavy columns alone
-- (src/capture/captureFunction.ts, BENCHMARKS.md section 1). To leave an
-- unchanged heavy column out of the row image, the row trigger compared the
-- new and old values, which reads both out of TOAST and decompresses them
-- (about 0.5 ms per story row of the sample, most of the trigger's cost on a
-- status update). An UPDATE can only change a column it lists in its SET list,
-- unless a BEFORE row trigger changes it (capture then keeps the comparison;
-- see captureSpec). This statement trigger, created `BEFORE UPDATE OF <heavy
-- columns>`, marks the transaction, and the row trigger compares the heavy
-- columns only once the mark is set. The mark is never cleared before the
-- transaction ends: a later statement pays the comparison it may not need,
-- but no statement can skip one it needs (nested statements included).
CREATE FUNCTION {{tool}}.capture_heavy_listed()
RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('tandem.heavy_listed', 'on', true);
  RETURN NULL;
END
$$;
