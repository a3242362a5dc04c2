package io.herald.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

/**
 * Where a page of deliveries (newest change first) ended: the last row's {@code (updated_at, id)}.
 * Travels as an opaque URL-safe string; the next page holds the rows strictly before it.
 */
public record DeliveryCursor(OffsetDateTime updatedAt, UUID id) {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  public static DeliveryCursor after(DeliveryView last) {
    return new DeliveryCursor(last.updatedAt(), last.id());
  }

  public String encode() {
    long micros = ChronoUnit.MICROS.between(Instant.EPOCH, updatedAt.toInstant());
    return ENCODER.encodeToString((micros + "_" + id).getBytes(StandardCharsets.US_ASCII));
  }

  /** The cursor a previous page handed out, or null if {@code text} is not one. */
  public static DeliveryCursor parse(String text) {
    if (text == null || text.isEmpty() || text.length() > 100) {
      return null;
    }
    try {
      String plain = new String(DECODER.decode(text), StandardCharsets.US_ASCII);
      int cut = plain.indexOf('_');
      UUID id = Ids.parse(cut < 0 ? null : plain.substring(cut + 1));
      if (id == null) {
        return null;
      }
      long micros = Long.parseLong(plain.substring(0, cut));
      Instant at = Instant.EPOCH.plus(micros, ChronoUnit.MICROS);
      return new DeliveryCursor(OffsetDateTime.ofInstant(at, ZoneOffset.UTC), id);
    } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
      return null;
    }
  }
}
