-- One row per recipient. Every write that changes a user's notifications takes this row's lock
-- first, so per-user sequence order is commit order (resume never misses a row) and the counter
-- stays exact. unread = rows with read_at, deleted_at NULL and scheduled, expired false.
CREATE TABLE inbox (
  recipient  text PRIMARY KEY,
  last_seq   bigint NOT NULL,           -- last sequence number handed out
  unread     integer NOT NULL,          -- unread notifications in the inbox now
  version    bigint NOT NULL            -- grows with every change of unread: orders counts sent to sockets
);

CREATE TABLE notifications (
  id               uuid PRIMARY KEY,          -- UUIDv7, time-ordered
  recipient        text NOT NULL,
  seq              bigint NOT NULL,           -- per-recipient, in commit order
  category         text,
  level            text NOT NULL,
  title            text NOT NULL,
  body             text,
  action_url       text,
  action_label     text,
  data             jsonb,
  priority         text NOT NULL,
  channels         text[] NOT NULL,
  idempotency_key  text,
  idempotency_hash text,
  created_at       timestamptz NOT NULL,
  read_at          timestamptz,
  delivered_at     timestamptz,
  deleted_at       timestamptz,
  send_at          timestamptz,
  scheduled        boolean NOT NULL,          -- true until send_at passes; then re-numbered and pushed
  expires_at       timestamptz,
  expired          boolean NOT NULL DEFAULT false,  -- set (and the counter lowered) once expires_at passed
  CONSTRAINT notifications_recipient_seq UNIQUE (recipient, seq),
  CONSTRAINT notifications_level CHECK (level IN ('info', 'success', 'warning', 'error')),
  CONSTRAINT notifications_priority CHECK (priority IN ('low', 'normal', 'high', 'critical'))
);

-- only rows with a key are indexed: most notifications have none, and each index costs every insert
CREATE UNIQUE INDEX notifications_idempotency ON notifications (recipient, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX notifications_scheduled ON notifications (send_at) WHERE scheduled;
CREATE INDEX notifications_expiring ON notifications (expires_at) WHERE expires_at IS NOT NULL AND NOT expired;
