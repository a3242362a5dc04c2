-- A notification's own texts for an external channel, when a template rendered them (events):
-- e-mail {"subject", "html", "text"}, SMS and WhatsApp {"text"}. Written with the notification;
-- the delivery worker reads them with its claim. Without a row, senders use title and body.
CREATE TABLE notification_content (
  notification_id uuid NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
  channel         text NOT NULL,
  parts           jsonb NOT NULL,
  PRIMARY KEY (notification_id, channel)
);
