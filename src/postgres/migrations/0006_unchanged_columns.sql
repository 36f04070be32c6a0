-- Capture leaves a table's heavy columns (those Convex keeps in a companion
-- content table, e.g. story.text and story.json) out of an update's row image
-- when the update did not change them; `unchanged` names the columns left out,
-- so the relay keeps the companion document as it is instead of reading the
-- absence as NULL. NULL for every other event. The capture trigger functions
-- are now generated per table by `tandem capture install` (src/capture/
-- captureFunction.ts); tables installed before this version keep calling
-- tandem.capture_change and show as `stale` until installed again.
ALTER TABLE {{tool}}.outbox ADD COLUMN unchanged text[] NULL;
ALTER TABLE {{tool}}.dead_letter ADD COLUMN unchanged text[] NULL;
