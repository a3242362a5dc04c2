package io.herald.delivery;

import io.vertx.core.http.HttpClosedException;
import io.vertx.ext.mail.SMTPException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.channels.ClosedChannelException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Decides from a failed send whether to retry. Network trouble (timeouts, refused, reset or closed
 * connections, DNS, TLS), HTTP 5xx, 408 and 429, and SMTP 4xx are {@code TEMPORARY}; other HTTP 4xx
 * and 3xx (redirects are never followed), SMTP 5xx and a destination the channel cannot address
 * are {@code PERMANENT}; HTTP 401/403 and SMTP authentication failures are {@code CREDENTIALS}.
 * The cause chain is walked, so a wrapped {@link ConnectException} counts as what it is.
 */
public final class ErrorClassifier {
  /** Longest message kept for operators ({@code last_error}). */
  public static final int MAX_MESSAGE = 500;
  /** SMTP replies that mean our own login was refused, not the recipient. */
  private static final Set<Integer> SMTP_AUTH = Set.of(530, 534, 535, 538);
  private static final int MAX_CAUSES = 32;

  private ErrorClassifier() {
  }

  /** {@code clock} turns a Retry-After HTTP-date into a wait. */
  public static Failure classify(Throwable error, Clock clock) {
    if (error == null) {
      return temporary("unexpected error: failure without an exception", null);
    }
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = error; t != null && seen.size() < MAX_CAUSES && seen.put(t, true) == null; t = t.getCause()) {
      Failure known = known(t, clock);
      if (known != null) {
        return known;
      }
    }
    // Something we did not foresee (a bug, a new kind of library error): retry it. Retrying a bug
    // costs a few attempts, bounded by maxAttempts; calling it permanent could lose a message.
    return temporary("unexpected error: " + describe(error), null);
  }

  private static Failure known(Throwable t, Clock clock) {
    if (t instanceof ProviderException p) {
      return http(p, clock);
    }
    if (t instanceof SMTPException s) {
      return smtp(s);
    }
    if (t instanceof InvalidDestinationException) {
      return new Failure(ErrorClass.PERMANENT, oneLine(t.getMessage(), MAX_MESSAGE), null, null);
    }
    // Netty's ConnectTimeoutException is a ConnectException: test timeouts first.
    if (t instanceof TimeoutException || t instanceof SocketTimeoutException || t instanceof io.netty.channel.ConnectTimeoutException) {
      return temporary("timeout: " + describe(t), null);
    }
    if (t instanceof ConnectException) {
      return temporary("connection refused: " + describe(t), null);
    }
    if (t instanceof UnknownHostException) {
      return temporary("DNS lookup failed: " + describe(t), null);
    }
    if (t instanceof SSLException) {
      return temporary("TLS failure: " + describe(t), null);
    }
    if (t instanceof HttpClosedException || t instanceof SocketException || t instanceof ClosedChannelException) {
      return temporary("connection closed: " + describe(t), null);
    }
    if (t instanceof IOException) {
      return temporary("network error: " + describe(t), null);
    }
    return null;
  }

  private static Failure http(ProviderException p, Clock clock) {
    int status = p.status();
    String message = oneLine(p.getMessage(), MAX_MESSAGE);
    if (status == 401 || status == 403) {
      return new Failure(ErrorClass.CREDENTIALS, message, status, null);
    }
    if (status == 429 || status == 503) { // 503 may carry Retry-After too (RFC 9110 10.2.3)
      return new Failure(ErrorClass.TEMPORARY, message, status, retryAfter(p.retryAfter(), clock));
    }
    if (status == 408 || status >= 500) {
      return new Failure(ErrorClass.TEMPORARY, message, status, null);
    }
    if (status >= 300 && status < 500) {
      return new Failure(ErrorClass.PERMANENT, message, status, null);
    }
    return new Failure(ErrorClass.TEMPORARY, message, status, null); // 1xx or 2xx treated as failure: odd, try again
  }

  private static Failure smtp(SMTPException s) {
    String message = oneLine("SMTP " + s.getReplyCode() + ": " + describe(s), MAX_MESSAGE);
    if (SMTP_AUTH.contains(s.getReplyCode())) {
      return new Failure(ErrorClass.CREDENTIALS, message, null, null);
    }
    if (s.isPermanent()) {
      return new Failure(ErrorClass.PERMANENT, message, null, null);
    }
    return new Failure(ErrorClass.TEMPORARY, message, null, null); // 4xx, or no proper reply code
  }

  /**
   * A Retry-After value as a wait: delta seconds, or an HTTP-date (RFC 1123 form) measured from
   * {@code clock}; a date in the past is zero. Null when absent or unparsable.
   */
  public static Duration retryAfter(String value, Clock clock) {
    if (value == null) {
      return null;
    }
    String v = value.trim();
    if (v.matches("\\d{1,9}")) {
      return Duration.ofSeconds(Long.parseLong(v));
    }
    try {
      Duration wait = Duration.between(clock.instant(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
      return wait.isNegative() ? Duration.ZERO : wait;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private static Failure temporary(String message, Integer status) {
    return new Failure(ErrorClass.TEMPORARY, oneLine(message, MAX_MESSAGE), status, null);
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null || m.isBlank() ? t.getClass().getSimpleName() : m;
  }

  /** {@code text} on one line (control characters become spaces, runs of spaces one), at most {@code max} characters. */
  public static String oneLine(String text, int max) {
    if (text == null) {
      return "";
    }
    StringBuilder out = new StringBuilder(Math.min(text.length(), max + 1));
    for (int i = 0; i < text.length() && out.length() <= max; i++) {
      char c = text.charAt(i);
      boolean blank = Character.isISOControl(c) || Character.isWhitespace(c) || c == '\u2028' || c == '\u2029';
      if (!blank) {
        out.append(c);
      } else if (out.length() > 0 && out.charAt(out.length() - 1) != ' ') {
        out.append(' ');
      }
    }
    String s = out.toString().trim();
    if (s.length() <= max) {
      return s;
    }
    int cut = Character.isHighSurrogate(s.charAt(max - 2)) ? max - 2 : max - 1;
    return s.substring(0, cut) + "…";
  }
}
