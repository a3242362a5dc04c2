-- Domain events (POST /v1/events): stored first, then expanded in pages into one notification per
-- recipient. phase 0 walks the explicit recipients, phase 1 the subscribers holding one of the
-- roles, each in user-id order; cursor is the last user id written, updated in the same
-- transaction as that page's notifications, so an expansion resumed after a crash neither repeats
-- nor skips anyone.
CREATE TABLE events (
  id               uuid PRIMARY KEY,
  type             text NOT NULL,
  data             jsonb NOT NULL,
  recipients       text[] NOT NULL,
  roles            text[] NOT NULL,
  actor            text,
  channels         text[],                 -- null: the channels the template defines
  priority         text NOT NULL,
  template_version integer NOT NULL,       -- fixed when the event is accepted
  idempotency_key  text,
  idempotency_hash text,
  status           text NOT NULL,          -- pending, processing, done, failed
  phase            smallint NOT NULL DEFAULT 0,
  cursor           text,
  notified         integer NOT NULL DEFAULT 0,
  attempts         integer NOT NULL DEFAULT 0,   -- leases taken: an event that keeps failing is given up
  error            text,
  lease_until      timestamptz,
  lease_owner      text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  finished_at      timestamptz,
  CONSTRAINT events_status CHECK (status IN ('pending', 'processing', 'done', 'failed'))
);
CREATE UNIQUE INDEX events_idempotency ON events (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_open ON events (created_at) WHERE status IN ('pending', 'processing');
