package io.herald.store;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Time-ordered UUIDs (version 7, RFC 9562): 48 bits of milliseconds, then randomness. Ids are not
 * secrets (every read is scoped to the recipient), so a fast non-cryptographic source is enough.
 */
public final class Ids {
  private Ids() {
  }

  public static UUID next() {
    long millis = System.currentTimeMillis();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long randA = random.nextInt() & 0xFFFL;
    long high = (millis << 16) | 0x7000L | randA;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low);
  }

  /** Parses a UUID in its canonical 36-character form only; null if it is not one. */
  public static UUID parse(Object text) {
    if (!(text instanceof String s) || s.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
