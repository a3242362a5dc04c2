-- Who a user is outside the inbox: addresses for the external channels, locale, roles and
-- opt-outs ({"channels": {"sms": false}, "categories": {"marketing": false}}).
CREATE TABLE subscribers (
  user_id     text PRIMARY KEY,
  email       text,
  phone       text,
  whatsapp    text,
  locale      text,
  roles       text[] NOT NULL DEFAULT '{}',
  preferences jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscribers_roles ON subscribers USING gin (roles);

-- One row per notification and external channel, written in the ingest transaction. The row is
-- the queue: the event bus only says "look at this row now"; the retry scanner finds every row
-- whose message was lost. next_attempt_at is when the scanner may (re)dispatch a pending or
-- failed row; lease_until when a sending row counts as abandoned.
CREATE TABLE deliveries (
  id                  uuid PRIMARY KEY,           -- also the webhook-id: stable across retries
  notification_id     uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  channel             text NOT NULL,
  destination         text,
  status              text NOT NULL,
  reason              text,                       -- why cancelled: no_destination, opted_out, expired, operator
  priority            smallint NOT NULL,          -- 0 critical, 1 high, 2 normal, 3 low (the notification's)
  attempts            integer NOT NULL DEFAULT 0, -- attempts started
  max_attempts        integer NOT NULL,
  next_attempt_at     timestamptz NOT NULL,
  lease_until         timestamptz,
  lease_owner         text,
  last_error          text,
  last_error_class    text,                       -- temporary, permanent, credentials
  last_http_status    integer,
  provider_message_id text,
  expires_at          timestamptz,                -- the notification's: never sent after it
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL,
  sent_at             timestamptz,
  CONSTRAINT deliveries_status CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'cancelled')),
  CONSTRAINT deliveries_channel CHECK (channel IN ('email', 'sms', 'whatsapp', 'webhook')),
  CONSTRAINT deliveries_one_per_channel UNIQUE (notification_id, channel)
);
-- the scanner: due rows by priority, then due time
CREATE INDEX deliveries_due ON deliveries (priority, next_attempt_at) WHERE status IN ('pending', 'failed');
-- the scanner: abandoned sends
CREATE INDEX deliveries_leases ON deliveries (lease_until) WHERE status = 'sending';
-- the scanner: rows to cancel once their notification expired
CREATE INDEX deliveries_expiring ON deliveries (expires_at) WHERE expires_at IS NOT NULL AND status IN ('pending', 'failed');
-- operators: listing by status (and channel), newest change first
CREATE INDEX deliveries_by_status ON deliveries (status, channel, updated_at DESC, id DESC);

-- Every attempt: written 'sending' when claimed, completed when the provider answered.
CREATE TABLE delivery_attempts (
  delivery_id uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  attempt     integer NOT NULL,
  started_at  timestamptz NOT NULL,
  duration_ms integer,
  outcome     text NOT NULL,                      -- sending, sent, failed, dead, lease_expired
  error_class text,
  error       text,
  http_status integer,
  node        text,
  PRIMARY KEY (delivery_id, attempt)
);
