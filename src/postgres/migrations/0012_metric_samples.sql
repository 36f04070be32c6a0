-- The control room's time series (docs/control-room-api.md): one value per
-- metric, table and time bucket, at three resolutions. The sampler writes
-- `raw` rows (one per sampling interval) and rolls completed minutes into `1m`
-- and completed hours into `1h`; each resolution is pruned past its own
-- retention, so charts over a week cost the same as charts over an hour.
CREATE TABLE {{tool}}.metric_sample (
  resolution text NOT NULL CHECK (resolution IN ('raw', '1m', '1h')),
  metric text NOT NULL,
  table_name text NOT NULL,
  bucket timestamptz NOT NULL,
  -- NULL when nothing was measured (a success rate with no events).
  value double precision NULL,
  -- How many non-null raw samples the value averages, so an hour is the
  -- weighted mean of its minutes, not the mean of their means.
  samples int NOT NULL DEFAULT 1,
  PRIMARY KEY (resolution, metric, table_name, bucket)
);
-- Pruning and rollups scan one resolution by time.
CREATE INDEX metric_sample_resolution_bucket ON {{tool}}.metric_sample (resolution, bucket);
