-- When a waiting delivery became due for its next attempt. It is set when the row becomes due: at
-- insert (the notification's send time, or its creation), on a failed attempt (the retry time), when
-- an abandoned send is taken back (when its lease ran out), on an operator's retry (now); the retry
-- scanner's re-dispatches leave it alone (they move next_attempt_at, which is why that column
-- cannot say how long a row has waited). /v1/stats' oldestWaiting, the
-- herald_oldest_due_delivery_age_seconds gauge and the health monitor's backlog rule read it
-- (StatsStore.WAITING_SINCE). Only pending and failed rows need it; others may hold an old value
-- or NULL.
--
-- Added without a default, so adding it rewrites nothing. The backfill below updates only the rows
-- waiting now (pending and failed: the queue, not the history), with the value the old per-row
-- definition gave them: a never-tried row's notification send time (or creation), a tried row's
-- next_attempt_at. Those rows are locked until the migration commits (about 30 s for 500,000 of
-- them on a loaded 2-core machine): workers skip them, outcomes for them wait.
-- A node of an older version still running during a rolling update writes rows without it; the
-- scanner of a new node fills it in, as this backfill does, when it first re-dispatches such a row.
ALTER TABLE deliveries ADD COLUMN due_since timestamptz;

UPDATE deliveries d SET due_since = CASE WHEN d.attempts = 0 THEN greatest(d.created_at, n.send_at) ELSE d.next_attempt_at END
FROM deliveries x LEFT JOIN notifications n ON n.id = x.notification_id
WHERE x.id = d.id AND d.status IN ('pending', 'failed');

-- Each channel's longest-waiting row is the first entry of its range: one index lookup per channel.
-- expires_at rides along so expired rows (the scanner cancels them within seconds) are skipped
-- without visiting the table.
CREATE INDEX deliveries_waiting ON deliveries (channel, due_since) INCLUDE (expires_at) WHERE status IN ('pending', 'failed');
