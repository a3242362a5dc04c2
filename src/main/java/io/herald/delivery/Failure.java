package io.herald.delivery;

import java.time.Duration;

/**
 * A classified failed attempt: its class, a one-line message for operators, the provider's HTTP
 * status when there was one, and how long the provider asked us to wait (429 Retry-After), if it did.
 */
public record Failure(ErrorClass errorClass, String message, Integer httpStatus, Duration retryAfter) {
  /**
   * What went wrong without anyone's data, for logs at INFO and above: {@code HTTP 400},
   * {@code SMTP 550}, {@code timeout}, {@code connection refused}. The full {@link #message} can
   * repeat what the provider answered (a phone number, an e-mail address, the text sent): it is
   * kept in the delivery's {@code last_error} and logged at DEBUG only. The classifier's messages
   * all read {@code <kind>: <detail>}, so the kind is what comes before the first colon.
   */
  public String summary() {
    if (httpStatus != null) {
      return "HTTP " + httpStatus;
    }
    int colon = message == null ? -1 : message.indexOf(':');
    return colon > 0 ? message.substring(0, colon) : errorClass.label() + " failure";
  }
}
