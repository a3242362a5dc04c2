package io.herald.delivery;

import io.herald.store.Notification;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One claimed attempt at one delivery: what a {@link Sender} needs. {@code attempt} counts from 1;
 * {@code id} is the delivery's id, stable across attempts (the webhook-id). {@code parts} holds the
 * channel's own texts when a template rendered them (e-mail {@code subject}, {@code html},
 * {@code text}; SMS and WhatsApp {@code text}); null when the notification has only its title and body.
 */
public record DeliveryJob(UUID id, String channel, String destination, int attempt, int maxAttempts, Notification notification,
                          JsonObject parts) {
  public DeliveryJob(UUID id, String channel, String destination, int attempt, int maxAttempts, Notification notification) {
    this(id, channel, destination, attempt, maxAttempts, notification, null);
  }

  /** The rendered part {@code key} for this channel, or null. */
  public String part(String key) {
    return parts == null ? null : parts.getString(key);
  }
}
