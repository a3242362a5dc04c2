package io.herald.delivery;

import java.time.Clock;

/** Placeholder until the classifier lands. */
public final class ErrorClassifier {
  private ErrorClassifier() {
  }

  public static Failure classify(Throwable error, Clock clock) {
    if (error instanceof ProviderException p) {
      int s = p.status();
      ErrorClass c = s == 401 || s == 403 ? ErrorClass.CREDENTIALS : s >= 500 || s == 429 || s == 408 ? ErrorClass.TEMPORARY : ErrorClass.PERMANENT;
      return new Failure(c, p.getMessage(), s, null);
    }
    return new Failure(ErrorClass.TEMPORARY, String.valueOf(error.getMessage()), null, null);
  }
}
