package io.herald.delivery.webhook;

import static io.herald.delivery.DeliveryFixture.await;
import static io.herald.delivery.DeliveryFixture.classified;
import static io.herald.delivery.DeliveryFixture.job;
import static io.herald.delivery.DeliveryFixture.notification;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.ErrorClass;
import io.herald.delivery.FakeProvider;
import io.herald.delivery.Failure;
import io.herald.delivery.Sender;
import io.herald.delivery.Senders;
import io.herald.store.Notification;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link WebhookSender} against a fake receiver: the exact body, Standard Webhooks headers and signature, redirects, failures. */
class WebhookSenderTest {
  static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
  static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);
  static final Instant NOW = Instant.parse("2025-03-10T12:00:05.123456Z");

  static Vertx vertx;
  FakeProvider receiver;
  Sender webhook;

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
    receiver = FakeProvider.start(vertx);
    webhook = new WebhookSender(vertx, channel(receiver.url("/hooks/herald?tenant=7"), 5), Clock.fixed(NOW, ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    await(webhook.close());
    receiver.close();
  }

  static HeraldConfig.Channel channel(String url, int timeoutSeconds) {
    HeraldConfig config = ConfigLoader.fromJson(new JsonObject().put("channels", new JsonObject().put("webhook", new JsonObject()
        .put("enabled", true).put("url", url).put("secret", SECRET).put("timeoutSeconds", timeoutSeconds))));
    return config.channels().get("webhook");
  }

  /** HMAC-SHA256 computed here, from the secret string, independently of the sender. */
  static String expectedSignature(String id, String timestamp, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
    byte[] prefix = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
    byte[] signed = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, signed, 0, prefix.length);
    System.arraycopy(body, 0, signed, prefix.length, body.length);
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(signed));
  }

  @Test
  void theFactoryMakesAWebhookSender() {
    Sender s = Senders.create(vertx, channel(receiver.url("/"), 5));
    assertInstanceOf(WebhookSender.class, s);
    await(s.close());
  }

  @Test
  void postsTheSignedEnvelope() throws Exception {
    // body exactly {"type","timestamp","data"}; webhook-id = delivery id; timestamp = this attempt; signature verifies
    Notification n = notification("Order shipped", "Parcel \"42\" is on its way\nSee you", "https://shop.example/o/42", "Track");
    DeliveryJob job = job("webhook", "https://ignored", n);
    receiver.answer(204, null, null);
    assertNull(await(webhook.send(job)));
    FakeProvider.Received r = receiver.next();
    assertEquals("POST", r.method());
    assertEquals("/hooks/herald", r.path());
    assertEquals("application/json", r.headers().get("Content-Type"));
    assertEquals("Herald/0.1", r.headers().get("User-Agent"));
    assertEquals(job.id().toString(), r.headers().get("webhook-id"));
    assertEquals(Long.toString(NOW.getEpochSecond()), r.headers().get("webhook-timestamp"));
    byte[] body = r.body().getBytes();
    assertEquals(expectedSignature(job.id().toString(), r.headers().get("webhook-timestamp"), body), r.headers().get("webhook-signature"));

    String text = new String(body, StandardCharsets.UTF_8);
    assertTrue(text.startsWith("{\"type\":\"notification\",\"timestamp\":\"2025-03-10T12:00:05.123456Z\",\"data\":{"), text);
    JsonObject envelope = new JsonObject(text);
    assertEquals(3, envelope.size());
    assertEquals(n.toJson(), envelope.getJsonObject("data"));
  }

  @Test
  void theIdStaysAndTheTimestampMovesAcrossAttempts() throws Exception {
    // a retry of the same delivery carries the same webhook-id, a new timestamp and a signature over both
    DeliveryJob job = job("webhook", null, "t", "b");
    receiver.answer(200, null, "ok");
    await(webhook.send(job));
    Instant later = NOW.plusSeconds(1800);
    Sender retrying = new WebhookSender(vertx, channel(receiver.url("/hooks/herald"), 5), Clock.fixed(later, ZoneOffset.UTC));
    try {
      await(retrying.send(new DeliveryJob(job.id(), job.channel(), job.destination(), 2, job.maxAttempts(), job.notification())));
    } finally {
      await(retrying.close());
    }
    FakeProvider.Received first = receiver.next();
    FakeProvider.Received second = receiver.next();
    assertEquals(first.headers().get("webhook-id"), second.headers().get("webhook-id"));
    assertEquals(Long.toString(later.getEpochSecond()), second.headers().get("webhook-timestamp"));
    assertEquals(expectedSignature(job.id().toString(), second.headers().get("webhook-timestamp"), second.body().getBytes()),
        second.headers().get("webhook-signature"));
  }

  @Test
  void aRedirectIsNotFollowedAndIsPermanent() {
    receiver.answer(r -> r.response().setStatusCode(302).putHeader("Location", receiver.url("/elsewhere")).end());
    Failure f = classified(webhook.send(job("webhook", null, "t", "b")));
    assertEquals(ErrorClass.PERMANENT, f.errorClass());
    assertEquals(302, f.httpStatus());
    assertEquals("HTTP 302: redirect not followed: 302 to " + receiver.url("/elsewhere"), f.message());
    assertEquals("/hooks/herald", receiver.next().path());
    assertEquals(0, receiver.pending(), "the redirect target was not requested");
  }

  @Test
  void failuresClassify() {
    receiver.answer(410, null, "gone");
    assertEquals(ErrorClass.PERMANENT, classified(webhook.send(job("webhook", null, "t", "b"))).errorClass());
    receiver.answer(401, null, "bad signature");
    assertEquals(ErrorClass.CREDENTIALS, classified(webhook.send(job("webhook", null, "t", "b"))).errorClass());
    receiver.answer(502, null, "bad gateway");
    assertEquals(ErrorClass.TEMPORARY, classified(webhook.send(job("webhook", null, "t", "b"))).errorClass());
    receiver.answer(r -> r.connection().close());
    Failure reset = classified(webhook.send(job("webhook", null, "t", "b")));
    assertEquals(ErrorClass.TEMPORARY, reset.errorClass());
    assertNull(reset.httpStatus());
  }

  @Test
  void noAnswerTimesOut() {
    receiver.answer(r -> { });
    Sender impatient = new WebhookSender(vertx, channel(receiver.url("/slow"), 1), Clock.systemUTC());
    try {
      Failure f = classified(impatient.send(job("webhook", null, "t", "b")));
      assertEquals(ErrorClass.TEMPORARY, f.errorClass());
      assertTrue(f.message().startsWith("timeout"), f.message());
    } finally {
      await(impatient.close());
    }
  }
}
