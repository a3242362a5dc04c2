-- Digests: e-mails a subscriber chose to receive together, daily or weekly, at their hour in their
-- time zone; and the daily summary of unread in-app notifications for users who stayed away.

-- The first moment strictly after `after` that is `hour` o'clock in `zone`, on ISO weekday `day`
-- (1 Monday .. 7 Sunday) for 'weekly'. Local times a clock change skips resolve as PostgreSQL's
-- AT TIME ZONE resolves them.
CREATE FUNCTION digest_slot(kind text, zone text, hour integer, day integer, after timestamptz)
RETURNS timestamptz LANGUAGE plpgsql STABLE AS $$
DECLARE
  local timestamp := after AT TIME ZONE zone;
  slot timestamp;
BEGIN
  IF kind = 'weekly' THEN
    slot := date_trunc('week', local) + (day - 1) * interval '1 day' + hour * interval '1 hour';
    WHILE slot AT TIME ZONE zone <= after LOOP
      slot := slot + interval '7 days';
    END LOOP;
  ELSE
    slot := date_trunc('day', local) + hour * interval '1 hour';
    WHILE slot AT TIME ZONE zone <= after LOOP
      slot := slot + interval '1 day';
    END LOOP;
  END IF;
  RETURN slot AT TIME ZONE zone;
END $$;

-- Where a subscriber lives (IANA zone; null: digest.timeZone) and when their next unread summary
-- is looked at (set on PUT, moved on by each look).
ALTER TABLE subscribers ADD COLUMN time_zone text;
ALTER TABLE subscribers ADD COLUMN summary_at timestamptz;
-- existing subscribers: their first look at 08:00 UTC (later looks use the configured defaults)
UPDATE subscribers SET summary_at = digest_slot('daily', 'UTC', 8, 1, now());
CREATE INDEX subscribers_summary ON subscribers (summary_at) WHERE summary_at IS NOT NULL;

-- When the user last had a socket open (written when one opens or closes, and hourly while open);
-- null: not since this column exists.
ALTER TABLE inbox ADD COLUMN seen_at timestamptz;

-- One digest e-mail: what it says (rendered when it was put together) and how many items it holds.
CREATE TABLE digests (
  id         uuid PRIMARY KEY,
  recipient  text NOT NULL,
  kind       text NOT NULL CONSTRAINT digests_kind CHECK (kind IN ('digest', 'unread')),
  items      integer NOT NULL,
  parts      jsonb NOT NULL,                 -- {"subject", "text", "html"}
  created_at timestamptz NOT NULL
);
CREATE INDEX digests_recipient ON digests (recipient, created_at DESC);

-- A held delivery ('held', reason daily|weekly|throttled) waits until next_attempt_at, the
-- digest's time; it then becomes 'digested' with the digest_id whose own delivery row (no
-- notification_id) carries the e-mail through the usual retries.
ALTER TABLE deliveries ALTER COLUMN notification_id DROP NOT NULL;
ALTER TABLE deliveries ADD COLUMN digest_id uuid REFERENCES digests (id) ON DELETE CASCADE;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_of CHECK (notification_id IS NOT NULL OR digest_id IS NOT NULL) NOT VALID;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status
  CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead', 'cancelled', 'held', 'digested')) NOT VALID;
CREATE INDEX deliveries_held ON deliveries (next_attempt_at) WHERE status = 'held';
CREATE INDEX deliveries_digest ON deliveries (digest_id) WHERE digest_id IS NOT NULL;

