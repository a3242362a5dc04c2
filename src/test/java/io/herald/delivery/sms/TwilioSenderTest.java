package io.herald.delivery.sms;

import static io.herald.delivery.DeliveryFixture.await;
import static io.herald.delivery.DeliveryFixture.classified;
import static io.herald.delivery.DeliveryFixture.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.herald.delivery.ErrorClass;
import io.herald.delivery.FakeProvider;
import io.herald.delivery.Failure;
import io.herald.delivery.Sender;
import io.herald.delivery.Senders;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TwilioSender} against a fake Twilio: the exact request, the sid, and how each kind of failure classifies. */
class TwilioSenderTest {
  static final String SID = "AC0123456789abcdef";
  static final String TOKEN = "twilio-token-secret";
  static final String PATH = "/2010-04-01/Accounts/" + SID + "/Messages.json";

  static Vertx vertx;
  FakeProvider twilio;
  Sender sms;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void closeVertx() {
    await(vertx.close());
  }

  @BeforeEach
  void start() {
    twilio = FakeProvider.start(vertx);
    sms = sender("sms", "+15550009999", 5);
  }

  @AfterEach
  void stop() {
    await(sms.close());
    twilio.close();
  }

  Sender sender(String channel, String from, int timeoutSeconds) {
    return sender(channel, from, timeoutSeconds, twilio.url("/"));
  }

  static Sender sender(String channel, String from, int timeoutSeconds, String baseUrl) {
    HeraldConfig config = ConfigLoader.fromJson(new JsonObject().put("channels", new JsonObject().put(channel, new JsonObject()
        .put("enabled", true).put("provider", "twilio").put("baseUrl", baseUrl).put("accountSid", SID).put("authToken", TOKEN)
        .put("from", from).put("timeoutSeconds", timeoutSeconds))));
    Sender sender = Senders.create(vertx, config.channels().get(channel));
    assertInstanceOf(TwilioSender.class, sender);
    return sender;
  }

  static Map<String, List<String>> form(FakeProvider.Received r) {
    return new QueryStringDecoder(r.body().toString(StandardCharsets.UTF_8), StandardCharsets.UTF_8, false).parameters();
  }

  @Test
  void sendsTheMessagesFormWithBasicAuthAndReturnsTheSid() {
    // POST to the account's Messages.json, form To/From/Body, basic auth sid:token → the answer's sid
    twilio.answer(201, "application/json", "{\"sid\":\"SM42\",\"status\":\"queued\"}");
    String id = await(sms.send(job("sms", "+15550001111", "Your code", "It is 1234 — valid 5 min")));
    assertEquals("SM42", id);
    FakeProvider.Received r = twilio.next();
    assertEquals("POST", r.method());
    assertEquals(PATH, r.path());
    assertTrue(r.headers().get("Content-Type").startsWith("application/x-www-form-urlencoded"), r.headers().get("Content-Type"));
    assertEquals("Basic " + Base64.getEncoder().encodeToString((SID + ":" + TOKEN).getBytes(StandardCharsets.UTF_8)), r.headers().get("Authorization"));
    assertEquals("Herald/0.1", r.headers().get("User-Agent"));
    Map<String, List<String>> form = form(r);
    assertEquals(List.of("+15550001111"), form.get("To"));
    assertEquals(List.of("+15550009999"), form.get("From"));
    assertEquals(List.of("Your code\nIt is 1234 — valid 5 min"), form.get("Body"));
    assertEquals(3, form.size());
  }

  @Test
  void aTitleAloneIsTheBody() {
    twilio.answer(201, "application/json", "{\"sid\":\"SM43\"}");
    await(sms.send(job("sms", "+15550001111", "Only a title", null)));
    assertEquals(List.of("Only a title"), form(twilio.next()).get("Body"));
  }

  @Test
  void whatsappNumbersCarryThePrefixOnce() {
    // To gets whatsapp:, and a From configured with whatsapp: already is not prefixed twice
    Sender whatsapp = sender("whatsapp", "whatsapp:+14155238886", 5);
    try {
      twilio.answer(201, "application/json", "{\"sid\":\"SM44\"}");
      assertEquals("SM44", await(whatsapp.send(job("whatsapp", "+15550001111", "Hi", "there"))));
      Map<String, List<String>> form = form(twilio.next());
      assertEquals(List.of("whatsapp:+15550001111"), form.get("To"));
      assertEquals(List.of("whatsapp:+14155238886"), form.get("From"));
    } finally {
      await(whatsapp.close());
    }
    Sender plainFrom = sender("whatsapp", "+14155238886", 5);
    try {
      twilio.answer(201, "application/json", "{\"sid\":\"SM45\"}");
      await(plainFrom.send(job("whatsapp", "whatsapp:+15550001111", "Hi", null)));
      Map<String, List<String>> form = form(twilio.next());
      assertEquals(List.of("whatsapp:+15550001111"), form.get("To"));
      assertEquals(List.of("whatsapp:+14155238886"), form.get("From"));
    } finally {
      await(plainFrom.close());
    }
  }

  @Test
  void anAcceptedAnswerWithoutSidIsStillSuccess() {
    twilio.answer(201, "text/plain", "queued");
    assertNull(await(sms.send(job("sms", "+15550001111", "t", "b"))));
  }

  @Test
  void aRejectedNumberIsPermanentWithTwiliosMessage() {
    twilio.answer(400, "application/json",
        "{\"code\":21211,\"message\":\"The 'To' number +1555 is not a valid phone number.\",\"more_info\":\"https://www.twilio.com/docs/errors/21211\",\"status\":400}");
    Failure f = classified(sms.send(job("sms", "+1555", "t", "b")));
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals(400, f.httpStatus());
    assertEquals("HTTP 400: 21211 The 'To' number +1555 is not a valid phone number.", f.message());
  }

  @Test
  void badCredentialsNeedAnAdmin() {
    twilio.answer(401, "application/json", "{\"code\":20003,\"message\":\"Authenticate\",\"status\":401}");
    Failure f = classified(sms.send(job("sms", "+15550001111", "t", "b")));
    assertEquals(ErrorClass.CREDENTIALS, f.errorClass());
    assertEquals(401, f.httpStatus());
  }

  @Test
  void tooManyRequestsIsRetriedAfterWhatTwilioAsks() {
    twilio.answer(r -> r.response().setStatusCode(429).putHeader("Retry-After", "7").end("{\"code\":20429,\"message\":\"Too Many Requests\"}"));
    Failure f = classified(sms.send(job("sms", "+15550001111", "t", "b")));
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals(429, f.httpStatus());
    assertEquals(Duration.ofSeconds(7), f.retryAfter());
  }

  @Test
  void anOutageIsTemporary() {
    twilio.answer(503, "text/html", "<html><body>Service Unavailable</body></html>");
    Failure f = classified(sms.send(job("sms", "+15550001111", "t", "b")));
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertEquals(503, f.httpStatus());
    assertTrue(f.message().startsWith("HTTP 503: <html>"), f.message());
  }

  @Test
  void aResetConnectionIsTemporary() {
    // the provider closes the socket without answering
    twilio.answer(r -> r.connection().close());
    Failure f = classified(sms.send(job("sms", "+15550001111", "t", "b")));
    assertEquals(ErrorClass.TEMPORARY, f.errorClass());
    assertNull(f.httpStatus());
    assertTrue(f.message().startsWith("connection closed"), f.message());
  }

  @Test
  void noAnswerTimesOutAndIsTemporary() {
    // timeoutSeconds is 1: a provider that never answers fails the send after about a second
    twilio.answer(r -> { });
    Sender impatient = sender("sms", "+15550009999", 1);
    try {
      Failure f = classified(impatient.send(job("sms", "+15550001111", "t", "b")));
      assertEquals(ErrorClass.TEMPORARY, f.errorClass());
      assertTrue(f.message().startsWith("timeout"), f.message());
    } finally {
      await(impatient.close());
    }
  }

  @Test
  void aProviderThatIsNotThereIsTemporary() {
    Sender nowhere = sender("sms", "+15550009999", 1, "http://127.0.0.1:" + FakeProvider.freePort());
    try {
      Failure f = classified(nowhere.send(job("sms", "+15550001111", "t", "b")));
      assertEquals(ErrorClass.TEMPORARY, f.errorClass());
      assertTrue(f.message().startsWith("connection refused"), f.message());
    } finally {
      await(nowhere.close());
    }
  }

  @Test
  void anEmptyNumberIsPermanentAndNotSent() {
    Failure f = classified(sms.send(job("sms", " ", "t", "b")));
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals(0, twilio.pending());
  }
}
