package io.herald.delivery;

/**
 * The delivery's destination cannot be addressed on its channel (an e-mail address with a line
 * break, an empty phone number): trying again cannot help, so the classifier calls it permanent.
 */
public final class InvalidDestinationException extends RuntimeException {
  public InvalidDestinationException(String message) {
    super(message, null, false, false);
  }
}
