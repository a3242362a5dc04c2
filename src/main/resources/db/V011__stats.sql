-- /v1/stats counts notifications and delivery attempts by time over the last hour and day.
-- notifications fill in time order, so a BRIN index (a few pages: the time span of each block range)
-- finds the recent rows without costing ingest the upkeep of another b-tree on every insert.
-- Rows moved or written into older pages later (updates, space freed by retention) only widen a
-- range; the index then reads a little more, never gives a wrong answer. autosummarize keeps the
-- newest ranges summarised as they fill.
CREATE INDEX notifications_created ON notifications USING brin (created_at) WITH (autosummarize = on);
-- (delivery_attempts.started_at has a b-tree: delivery_attempts_started in V012__retention.sql,
-- which the retention clean-up's ordered batches need)
