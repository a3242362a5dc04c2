package io.herald.delivery;

/**
 * A provider answered, but not with success: its HTTP status, its {@code Retry-After} header (raw,
 * may be null) and the start of its answer, for the operator.
 */
public final class ProviderException extends RuntimeException {
  private final int status;
  private final String retryAfter;

  public ProviderException(int status, String retryAfter, String detail) {
    super("HTTP " + status + (detail == null || detail.isBlank() ? "" : ": " + detail), null, false, false);
    this.status = status;
    this.retryAfter = retryAfter;
  }

  public int status() {
    return status;
  }

  public String retryAfter() {
    return retryAfter;
  }
}
