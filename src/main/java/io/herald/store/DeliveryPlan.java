package io.herald.store;

import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * A delivery row ingest wants written with its notification. {@code destination} is the
 * notification's own address for the channel (or the webhook URL), null to use the subscriber's;
 * {@code nextAttemptAt} is when the scanner takes the row if its dispatch is lost (or, for a
 * scheduled notification, its send time).
 */
public record DeliveryPlan(UUID id, UUID notificationId, String channel, String destination, int maxAttempts,
                           OffsetDateTime nextAttemptAt) {
}
