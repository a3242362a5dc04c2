package io.herald.retry;

import io.herald.store.DeliveryView;
import io.herald.store.Notification;
import java.util.List;

/**
 * Deliveries as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted,
 * quotes doubled). A cell starting with {@code = + - @}, a tab or a carriage return gets a leading
 * single quote, so a spreadsheet shows it as text instead of running it as a formula (an error
 * message or destination is text that came from outside).
 */
public final class DeliveryCsv {
  public static final String CONTENT_TYPE = "text/csv; charset=utf-8";
  public static final String HEADER = row(List.of("id", "notification_id", "recipient", "channel", "destination", "status", "reason",
      "attempts", "max_attempts", "last_error_class", "last_http_status", "last_error", "created_at", "updated_at"));

  private DeliveryCsv() {
  }

  public static String row(DeliveryView d) {
    // a digest's own e-mail has no notification
    String notification = d.notificationId() == null ? "" : d.notificationId().toString();
    return row(List.of(d.id().toString(), notification, text(d.recipient()), d.channel(), text(d.destination()),
        d.status(), text(d.reason()), String.valueOf(d.attempts()), String.valueOf(d.maxAttempts()), text(d.lastErrorClass()),
        d.lastHttpStatus() == null ? "" : String.valueOf(d.lastHttpStatus()), text(d.lastError()), Notification.iso(d.createdAt()),
        Notification.iso(d.updatedAt())));
  }

  /** The cells as one CSV line, CRLF included. */
  static String row(List<String> cells) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        line.append(',');
      }
      line.append(cell(cells.get(i)));
    }
    return line.append("\r\n").toString();
  }

  /** One cell: defused against formula injection, then quoted when it needs to be. */
  static String cell(String value) {
    String v = value;
    if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    if (v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0) {
      return '"' + v.replace("\"", "\"\"") + '"';
    }
    return v;
  }

  private static String text(String value) {
    return value == null ? "" : value;
  }
}
