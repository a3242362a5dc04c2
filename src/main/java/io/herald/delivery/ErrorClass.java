package io.herald.delivery;

/**
 * How a failed attempt is treated. {@code TEMPORARY}: retried with backoff. {@code PERMANENT}: the
 * delivery goes to the dead letter at once. {@code CREDENTIALS}: permanent, and the gateway's own
 * credentials or subscription are the problem (HTTP 401/403), so an admin must be told.
 */
public enum ErrorClass {
  TEMPORARY, PERMANENT, CREDENTIALS;

  public boolean permanent() {
    return this != TEMPORARY;
  }

  /** As stored in {@code last_error_class} and shown by the API. */
  public String label() {
    return name().toLowerCase();
  }
}
