-- A provider outage's backlog, for bench/stats-backlog.sh: 1,200,000 notifications over the last
-- 2.8 days and 755,200 deliveries, of which 500,000 wait (300,000 never tried, their
-- next_attempt_at moved on by the scanner's re-dispatches; 200,000 failed, due from 30 minutes ago
-- to an hour ahead), 200 sending (50 past their lease: a stopped node's), 200,000 sent long ago,
-- 5,000 dead and 50,000 sent in the last day (half on their second attempt); 275,000 attempts in
-- the last 24 hours. Channels are spread evenly.
\set ON_ERROR_STOP 1
INSERT INTO notifications (id, recipient, seq, level, title, priority, channels, created_at, scheduled)
SELECT gen_random_uuid(), 'backlog-' || (g % 100000), g, 'info', 'backlog ' || g, 'normal', '{inapp,email,sms,whatsapp,webhook}',
  now() - (1200000 - g) * interval '200 milliseconds', false
FROM generate_series(1, 1200000) AS g;

CREATE TEMP TABLE seq_id AS SELECT seq AS g, id, created_at FROM notifications WHERE recipient LIKE 'backlog-%';
CREATE INDEX ON seq_id (g);
ANALYZE seq_id;

-- channel of a row: (g + k) % 4, k chosen per group so one notification never has two rows of a channel
INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at,
  created_at, updated_at, sent_at)
SELECT gen_random_uuid(), s.id, (ARRAY['email', 'sms', 'whatsapp', 'webhook'])[s.g % 4 + 1], 'x',
  CASE WHEN s.g <= 200000 THEN 'sent' ELSE 'dead' END, 2, CASE WHEN s.g <= 200000 THEN 1 ELSE 5 END, 5,
  s.created_at, s.created_at, s.created_at + interval '1 minute', CASE WHEN s.g <= 200000 THEN s.created_at + interval '2 seconds' END
FROM seq_id s WHERE s.g <= 205000;

-- 200,000 failed, tried 1 to 4 times, the last attempt 5 minutes before its retry time
INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at,
  last_error, last_error_class, created_at, updated_at)
SELECT gen_random_uuid(), s.id, (ARRAY['email', 'sms', 'whatsapp', 'webhook'])[s.g % 4 + 1], 'x', 'failed',
  CASE WHEN s.g % 20 = 0 THEN 1 ELSE 2 END, s.g % 4 + 1, 10,
  now() - interval '30 minutes' + (s.g % 5400) * interval '1 second', 'HTTP 503', 'temporary', s.created_at,
  now() - interval '35 minutes' + (s.g % 5400) * interval '1 second'
FROM seq_id s WHERE s.g BETWEEN 600001 AND 800000;
INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, error_class, error, http_status, node)
SELECT d.id, d.attempts, d.next_attempt_at - interval '5 minutes', 120, 'failed', 'temporary', 'HTTP 503', 503, 'bench'
FROM deliveries d WHERE d.status = 'failed';

-- 300,000 never tried, re-dispatched by the scanner a moment ago (next_attempt_at moved on)
INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at,
  created_at, updated_at)
SELECT gen_random_uuid(), s.id, (ARRAY['email', 'sms', 'whatsapp', 'webhook'])[s.g % 4 + 1], 'x', 'pending',
  CASE WHEN s.g % 20 = 0 THEN 1 ELSE 2 END, 0, 10, now() + (s.g % 30) * interval '1 second', s.created_at, now()
FROM seq_id s WHERE s.g > 900000;

-- 200 sending; 50 of them past their lease
INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at,
  lease_until, lease_owner, created_at, updated_at)
SELECT gen_random_uuid(), s.id, (ARRAY['email', 'sms', 'whatsapp', 'webhook'])[(s.g + 1) % 4 + 1], 'x', 'sending', 2, 1, 10,
  now(), CASE WHEN s.g % 4 = 0 THEN now() - interval '20 minutes' ELSE now() + interval '5 minutes' END, 'bench', s.created_at, now()
FROM seq_id s WHERE s.g > 1199800;

-- 50,000 sent in the last day: half on the first attempt, half on the second
INSERT INTO deliveries (id, notification_id, channel, destination, status, priority, attempts, max_attempts, next_attempt_at,
  created_at, updated_at, sent_at)
SELECT gen_random_uuid(), s.id, (ARRAY['email', 'sms', 'whatsapp', 'webhook'])[(s.g + 2) % 4 + 1], 'x', 'sent', 2, s.g % 2 + 1, 10,
  s.created_at, s.created_at, s.created_at + interval '1 minute', s.created_at + interval '1 minute'
FROM seq_id s WHERE s.g BETWEEN 800001 AND 850000;
INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, error_class, error, http_status, node)
SELECT d.id, a, d.created_at + a * interval '20 seconds', 120, CASE WHEN a = d.attempts THEN 'sent' ELSE 'failed' END,
  CASE WHEN a < d.attempts THEN 'temporary' END, CASE WHEN a < d.attempts THEN 'HTTP 503' END, CASE WHEN a < d.attempts THEN 503 END, 'bench'
FROM deliveries d CROSS JOIN generate_series(1, 2) AS a
WHERE d.status = 'sent' AND d.sent_at > now() - interval '24 hours' AND a <= d.attempts;

VACUUM (ANALYZE) notifications, deliveries, delivery_attempts;
