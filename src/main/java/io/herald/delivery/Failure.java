package io.herald.delivery;

import java.time.Duration;

/**
 * A classified failed attempt: its class, a one-line message for operators, the provider's HTTP
 * status when there was one, and how long the provider asked us to wait (429 Retry-After), if it did.
 */
public record Failure(ErrorClass errorClass, String message, Integer httpStatus, Duration retryAfter) {
}
