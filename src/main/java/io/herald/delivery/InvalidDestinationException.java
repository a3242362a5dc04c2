package io.herald.delivery;

/**
 * The delivery's destination cannot be addressed on its channel (an e-mail address with a line
 * break, an empty phone number): trying again cannot help, so the classifier calls it permanent.
 */
public final class InvalidDestinationException extends RuntimeException {
  public InvalidDestinationException(String message) {
    super(message, null, false, false);
  }

  /** The job's phone number, trimmed; thrown when there is none. */
  public static String phone(DeliveryJob job) {
    String to = job.destination() == null ? "" : job.destination().trim();
    if (to.isEmpty()) {
      throw new InvalidDestinationException("no phone number to send to");
    }
    return to;
  }
}
