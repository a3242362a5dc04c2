-- Retention (the scheduled clean-up) and the schedule of jobs.

-- The clean-up walks old read and old deleted notifications, and old attempts, oldest first.
-- Only read or deleted rows are indexed: unread notifications are never removed by age.
CREATE INDEX notifications_read ON notifications (read_at) WHERE read_at IS NOT NULL;
CREATE INDEX notifications_deleted ON notifications (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at);

-- When each scheduled job last ran, on whichever node: its next run is the job's first cron time
-- after due_after. A node claims a run by moving due_after from the value it read to the run's
-- start (a guarded UPDATE only one claimer can win), so runs missed while no node held the jobs
-- lease are made up once, not once per missed time.
CREATE TABLE job_runs (
  name        text PRIMARY KEY,
  due_after   timestamptz NOT NULL,
  started_at  timestamptz,          -- the last run's start
  finished_at timestamptz,          -- null while it runs (or if its node died meanwhile)
  outcome     text,                 -- ok or failed
  summary     text                  -- what the run did, or why it failed
);
