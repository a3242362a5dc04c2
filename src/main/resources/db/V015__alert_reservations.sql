-- A notice's reservation gets columns of its own. Before sending a notice about an alert, the
-- health check that is to send it reserves it (notice_reserved_at: the check's time,
-- notice_reserved_by: its node), so two nodes that both believe they hold the health lease never
-- both send it; recording the outcome (or giving the notice up) clears the reservation, and one
-- older than the slowest admin route's timeout plus a margin counts as expired: a node that died
-- holding it does not keep the notice from being sent. notified_at is again only when the admins
-- were last told. Adding nullable columns without a default rewrites nothing.
ALTER TABLE alerts ADD COLUMN notice_reserved_at timestamptz, ADD COLUMN notice_reserved_by text;

-- Before this migration a reservation was written into notified_at, and a resolution notice whose
-- reservation was not given back (its check failed, or its node stopped or died) looked told. Such
-- a resolved alert, with no resolution recorded as delivered, gets back the time the admins were
-- last told of it (the latest delivered entry of its notifications; null if none was), so that its
-- resolution is told if it was resolved less than 24 h ago.
UPDATE alerts a SET notified_at = (SELECT max((e ->> 'at')::timestamptz) FROM jsonb_array_elements(a.notifications) e
                                   WHERE e @> '{"ok": true}')
WHERE status = 'resolved' AND notified_at >= resolved_at
  AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(a.notifications) e WHERE e @> '{"event": "resolved", "ok": true}');
