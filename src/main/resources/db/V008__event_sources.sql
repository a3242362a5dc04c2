-- Who posted an event (the API key's name): idempotency keys are scoped to it, so two
-- applications choosing the same key never see each other's events.
ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT '';
DROP INDEX events_idempotency;
CREATE UNIQUE INDEX events_idempotency ON events (source, idempotency_key) WHERE idempotency_key IS NOT NULL;
