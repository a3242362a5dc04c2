-- One row per POST /v1/broadcasts: what was said, to which roles (empty: everyone), by which API
-- key, and into how many inboxes it was written (persist). Written in the same transaction as
-- those inbox rows, so the count is exact.
CREATE TABLE broadcasts (
  id          uuid PRIMARY KEY,               -- UUIDv7; also data.broadcastId of the persisted notifications
  sender      text NOT NULL,                  -- the API key's name
  message     text NOT NULL,
  level       text NOT NULL,
  title       text,                           -- of the persisted notifications
  category    text,                           -- of the persisted notifications
  roles       text[] NOT NULL DEFAULT '{}',
  persist     boolean NOT NULL,
  recipients  integer NOT NULL DEFAULT 0,     -- notifications written (0 without persist)
  created_at  timestamptz NOT NULL,
  CONSTRAINT broadcasts_level CHECK (level IN ('info', 'success', 'warning', 'error'))
);
CREATE INDEX broadcasts_created ON broadcasts (created_at DESC);
