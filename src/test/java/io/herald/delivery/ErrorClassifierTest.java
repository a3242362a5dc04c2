package io.herald.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.VertxException;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.impl.NoStackTraceTimeoutException;
import io.vertx.ext.mail.SMTPException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unit tests of {@link ErrorClassifier}: every rule, Retry-After in both forms, cause chains, one-line messages. */
class ErrorClassifierTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2025-03-10T12:00:00Z"), ZoneOffset.UTC);

  static Failure classify(Throwable t) {
    Failure f = ErrorClassifier.classify(t, CLOCK);
    assertFalse(f.message().contains("\n") || f.message().contains("\r"), "message is not one line: " + f.message());
    assertTrue(f.message().length() <= ErrorClassifier.MAX_MESSAGE, f.message());
    return f;
  }

  static Failure http(int status, String retryAfter) {
    return classify(new ProviderException(status, retryAfter, "provider said no"));
  }

  // ---- network ----

  @Test
  void timeoutsAreTemporary() {
    // java and Vert.x timeouts (Future.timeout, WebClient request timeout), socket read timeouts, Netty connect timeouts
    for (Throwable t : List.of(new TimeoutException("late"), new NoStackTraceTimeoutException("The timeout period of 1000ms has been exceeded"),
        new SocketTimeoutException("Read timed out"), new io.netty.channel.ConnectTimeoutException("connection timed out: x/1.2.3.4:443"))) {
      Failure f = classify(t);
      assertEquals(ErrorClass.TEMPORARY, f.errorClass(), t.toString());
      assertTrue(f.message().startsWith("timeout: "), f.message());
      assertNull(f.httpStatus());
      assertNull(f.retryAfter());
    }
  }

  @Test
  void refusedResetClosedDnsAndTlsAreTemporary() {
    // each network failure keeps its kind in the message
    assertEquals("connection refused: Connection refused: /127.0.0.1:9", classify(new ConnectException("Connection refused: /127.0.0.1:9")).message());
    assertEquals("connection closed: Connection reset", classify(new SocketException("Connection reset")).message());
    assertEquals("connection closed: Connection was closed", classify(new HttpClosedException("Connection was closed")).message());
    assertEquals("DNS lookup failed: sms.example.invalid", classify(new UnknownHostException("sms.example.invalid")).message());
    assertEquals("TLS failure: PKIX path building failed", classify(new SSLHandshakeException("PKIX path building failed")).message());
    assertEquals("network error: Broken pipe", classify(new IOException("Broken pipe")).message());
    for (Throwable t : List.of(new ConnectException("x"), new SocketException("x"), new HttpClosedException("x"), new UnknownHostException("x"),
        new SSLHandshakeException("x"), new IOException("x"))) {
      assertEquals(ErrorClass.TEMPORARY, classify(t).errorClass(), t.toString());
    }
  }

  @Test
  void causesAreUnwrapped() {
    // a ConnectException two wrappers deep is still a refused connection; a wrapped 404 still permanent
    Throwable wrapped = new CompletionException(new VertxException("send failed", new ConnectException("Connection refused")));
    Failure f = classify(wrapped);
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals("connection refused: Connection refused", f.message());
    Failure g = classify(new RuntimeException("outer", new ProviderException(404, null, "no such number")));
    assertEquals(ErrorClass.PERMANENT, g.errorClass());
    assertEquals(404, g.httpStatus());
  }

  @Test
  void aCauseCycleEnds() {
    // a pathological a → b → a chain is walked once and ends as unknown
    RuntimeException a = new RuntimeException("a");
    RuntimeException b = new RuntimeException("b", a);
    a.initCause(b);
    Failure f = classify(a);
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals("unexpected error: a", f.message());
  }

  // ---- HTTP ----

  @ParameterizedTest
  @ValueSource(ints = {500, 502, 503, 504, 408})
  void serverErrorsAndRequestTimeoutAreTemporary(int status) {
    Failure f = http(status, null);
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals(status, f.httpStatus());
    assertEquals("HTTP " + status + ": provider said no", f.message());
    assertNull(f.retryAfter());
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 404, 405, 409, 410, 413, 415, 422})
  void clientErrorsArePermanent(int status) {
    Failure f = http(status, null);
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals(status, f.httpStatus());
  }

  @ParameterizedTest
  @ValueSource(ints = {401, 403})
  void authenticationErrorsAreCredentials(int status) {
    Failure f = http(status, null);
    assertEquals(ErrorClass.CREDENTIALS, f.errorClass());
    assertTrue(f.errorClass().permanent());
    assertEquals(status, f.httpStatus());
  }

  @Test
  void redirectsArePermanent() {
    // a redirect is never followed: the configured URL is wrong
    Failure f = classify(new ProviderException(302, null, "redirect not followed: 302 to https://elsewhere.example/hook"));
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals(302, f.httpStatus());
    assertEquals("HTTP 302: redirect not followed: 302 to https://elsewhere.example/hook", f.message());
    assertEquals(ErrorClass.PERMANENT, http(301, null).errorClass());
    assertEquals(ErrorClass.PERMANENT, http(307, null).errorClass());
  }

  @Test
  void tooManyRequestsWaitsDeltaSeconds() {
    Failure f = http(429, "120");
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals(429, f.httpStatus());
    assertEquals(Duration.ofSeconds(120), f.retryAfter());
    assertEquals(Duration.ZERO, http(429, " 0 ").retryAfter());
  }

  @Test
  void tooManyRequestsWaitsUntilAnHttpDate() {
    // measured from the injected clock (12:00:00)
    assertEquals(Duration.ofSeconds(90), http(429, "Mon, 10 Mar 2025 12:01:30 GMT").retryAfter());
    assertEquals(Duration.ZERO, http(429, "Mon, 10 Mar 2025 11:00:00 GMT").retryAfter(), "a date in the past means now");
  }

  @Test
  void unparsableRetryAfterIsIgnored() {
    for (String value : new String[] {null, "", "soon", "-5", "1.5", "99999999999", "2025-03-10T12:01:30Z"}) {
      Failure f = http(429, value);
      assertEquals(ErrorClass.TEMPORARY, f.errorClass(), value);
      assertNull(f.retryAfter(), value);
    }
  }

  @Test
  void serviceUnavailableMayAlsoAskForAWait() {
    assertEquals(Duration.ofSeconds(30), http(503, "30").retryAfter());
  }

  // ---- SMTP ----

  @Test
  void smtpRepliesFollowTheirClass() {
    Failure rejected = classify(new SMTPException("recipient address not accepted", 550, List.of("550 5.1.1 no such user"), true));
    assertEquals(ErrorClass.PERMANENT, rejected.errorClass());
    assertTrue(rejected.message().startsWith("SMTP 550: "), rejected.message());
    assertTrue(rejected.message().contains("no such user"), rejected.message());
    assertNull(rejected.httpStatus());
    Failure later = classify(new SMTPException("recipient address not accepted", 451, List.of("451 4.3.0 try again later"), true));
    assertEquals(ErrorClass.TEMPORARY, later.errorClass());
    assertEquals(ErrorClass.PERMANENT, classify(new SMTPException("x", 554, List.of("554 transaction failed"), false)).errorClass());
    assertEquals(ErrorClass.TEMPORARY, classify(new SMTPException("x", 421, List.of("421 closing"), false)).errorClass());
  }

  @Test
  void smtpAuthenticationFailureIsCredentials() {
    // our own login refused: an admin must act
    assertEquals(ErrorClass.CREDENTIALS, classify(new SMTPException("AUTH failed", 535, List.of("535 5.7.8 bad credentials"), true)).errorClass());
    assertEquals(ErrorClass.CREDENTIALS, classify(new SMTPException("x", 530, List.of("530 5.7.0 authentication required"), true)).errorClass());
  }

  // ---- everything else ----

  @Test
  void anInvalidDestinationIsPermanent() {
    Failure f = classify(new InvalidDestinationException("not a single e-mail address: 'a@b, c@d'"));
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals("not a single e-mail address: 'a@b, c@d'", f.message());
  }

  @Test
  void unknownErrorsAreRetried() {
    Failure f = classify(new IllegalStateException("something we did not foresee"));
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals("unexpected error: something we did not foresee", f.message());
    assertEquals("unexpected error: NullPointerException", classify(new NullPointerException()).message());
  }

  @Test
  void messagesAreOneBoundedLine() {
    // CR, LF, tabs and other control characters go; long messages are cut to the limit
    Failure f = classify(new ProviderException(400, null, "bad\r\nInjected: header\u0000\tthing " + "x".repeat(2000)));
    assertTrue(f.message().startsWith("HTTP 400: bad Injected: header thing xxx"), f.message());
    assertEquals(ErrorClassifier.MAX_MESSAGE, f.message().length());
    assertTrue(f.message().endsWith("…"));
  }

  @Test
  void theSummaryForLogsLeavesTheProvidersWordsOut() {
    // what the provider answered may repeat the number, the address or the text; the summary says only what kind of failure
    String number = "+15550001111";
    Failure twilio = classify(new ProviderException(400, null, "21211 The 'To' number " + number + " is not a valid phone number."));
    assertEquals("HTTP 400", twilio.summary());
    assertTrue(twilio.message().contains(number), "the full message is kept for the operator");
    Failure smtp = classify(new SMTPException("x", 550, List.of("550 5.1.1 <bob@example.com>: Recipient address rejected"), true));
    assertEquals("SMTP 550", smtp.summary());
    assertEquals("not a single e-mail address", classify(new InvalidDestinationException("not a single e-mail address: 'a@b, c@d'"))
        .summary());
    assertEquals("timeout", classify(new TimeoutException("POST /hook?token=abc timed out")).summary());
    assertEquals("connection refused", classify(new ConnectException("refused: 127.0.0.1:1")).summary());
    assertEquals("unexpected error", classify(new IllegalStateException("title: Secret plans")).summary());
    assertEquals("permanent failure", classify(new InvalidDestinationException("no phone number to send to")).summary());
  }
}
