package io.herald.delivery;

import io.herald.store.Notification;
import java.util.UUID;

/**
 * One claimed attempt at one delivery: what a {@link Sender} needs. {@code attempt} counts from 1;
 * {@code id} is the delivery's id, stable across attempts (the webhook-id).
 */
public record DeliveryJob(UUID id, String channel, String destination, int attempt, int maxAttempts, Notification notification) {
}
