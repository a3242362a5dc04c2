-- Health alerts. A row is one episode of one rule's condition on one channel (channel null for a
-- rule about the whole gateway): opened when the health monitor first finds the condition,
-- refreshed (last_seen_at, the figures in details) at every check that still finds it, resolved
-- when a check no longer does. notified_at is the last time the admins were told (of the opening,
-- a reminder after the cooldown, or the resolution); notifications lists what was sent to whom by
-- which route and whether it worked.
CREATE TABLE alerts (
  id            uuid PRIMARY KEY,
  rule          text NOT NULL,                -- failures_per_hour, permanent_failures, failure_rate, credentials, backlog
  channel       text,
  severity      text NOT NULL,
  status        text NOT NULL,
  title         text NOT NULL,
  message       text NOT NULL,
  details       jsonb NOT NULL DEFAULT '{}',
  opened_at     timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  resolved_at   timestamptz,
  notified_at   timestamptz,
  notifications jsonb NOT NULL DEFAULT '[]',
  CONSTRAINT alerts_severity CHECK (severity IN ('critical', 'warning')),
  CONSTRAINT alerts_status CHECK (status IN ('active', 'resolved')),
  CONSTRAINT alerts_resolved_at CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
-- at most one active alert per rule and channel: a check that finds the condition again refreshes it
CREATE UNIQUE INDEX alerts_one_active ON alerts (rule, coalesce(channel, '')) WHERE status = 'active';
-- GET /v1/alerts: newest first
CREATE INDEX alerts_newest ON alerts (opened_at DESC, id DESC);

-- The health figures read the last 24 h of attempts through delivery_attempts_started
-- (V012__retention.sql, which the retention clean-up shares).
