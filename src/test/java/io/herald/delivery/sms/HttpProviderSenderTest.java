package io.herald.delivery.sms;

import static io.herald.delivery.DeliveryFixture.await;
import static io.herald.delivery.DeliveryFixture.classified;
import static io.herald.delivery.DeliveryFixture.job;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link HttpProviderSender} against a fake JSON provider: method, headers, template substitution, message id path, failures. */
class HttpProviderSenderTest {
  static final JsonObject TEMPLATE = new JsonObject()
      .put("message", new JsonObject()
          .put("to", "{{to}}")
          .put("from", "{{from}}")
          .put("text", "{{title}}: {{body}}")
          .put("parts", new JsonArray().add("{{title}}").add("{{body}}").add(3).add(true))
          .put("unknown", "{{nope}} stays"))
      .put("channel", "sms")
      .put("priority", 2);

  static Vertx vertx;
  FakeProvider provider;
  Sender sender;

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
    provider = FakeProvider.start(vertx);
    sender = sender("messages.0.id");
  }

  @AfterEach
  void stop() {
    await(sender.close());
    provider.close();
  }

  Sender sender(String messageIdPath) {
    HeraldConfig config = ConfigLoader.fromJson(new JsonObject().put("channels", new JsonObject().put("sms", new JsonObject()
        .put("enabled", true).put("provider", "http").put("method", "PUT").put("url", provider.url("/v2/send?account=7"))
        .put("headers", new JsonObject().put("X-Api-Key", "k-123").put("Accept", "application/json"))
        .put("from", "Herald").put("bodyTemplate", TEMPLATE).put("messageIdPath", messageIdPath).put("timeoutSeconds", 5))));
    Sender s = Senders.create(vertx, config.channels().get("sms"));
    assertInstanceOf(HttpProviderSender.class, s);
    return s;
  }

  @Test
  void sendsTheFilledTemplateAndReadsTheMessageId() {
    // configured method, URL and headers; placeholders replaced in nested strings and arrays; id from messages.0.id
    provider.answer(200, "application/json", "{\"messages\":[{\"id\":\"m-77\",\"status\":\"accepted\"}]}");
    assertEquals("m-77", await(sender.send(job("sms", "+15550001111", "Hello", "World"))));
    FakeProvider.Received r = provider.next();
    assertEquals("PUT", r.method());
    assertEquals("/v2/send", r.path());
    assertEquals("k-123", r.headers().get("X-Api-Key"));
    assertEquals("application/json", r.headers().get("Content-Type"));
    assertEquals("Herald/0.1", r.headers().get("User-Agent"));
    JsonObject expected = new JsonObject()
        .put("message", new JsonObject()
            .put("to", "+15550001111")
            .put("from", "Herald")
            .put("text", "Hello: World")
            .put("parts", new JsonArray().add("Hello").add("World").add(3).add(true))
            .put("unknown", "{{nope}} stays"))
        .put("channel", "sms")
        .put("priority", 2);
    assertEquals(expected, r.body().toJsonObject());
  }

  @Test
  void quotesAndNewlinesStayDataInValidJson() {
    // a title that tries to close the string and add a key is just text in the right field
    String title = "He said \"hi\"\n\tthen \\ left\", \"evil\": \"yes";
    String body = "line 1\r\nline 2 {{title}} </script>";
    provider.answer(200, "application/json", "{\"messages\":[{\"id\":\"m-1\"}]}");
    await(sender.send(job("sms", "+15550001111", title, body)));
    Buffer raw = provider.next().body();
    JsonObject sent = raw.toJsonObject(); // fails if the request body is not valid JSON
    assertEquals(title + ": " + body, sent.getJsonObject("message").getString("text"));
    assertEquals(title, sent.getJsonObject("message").getJsonArray("parts").getString(0));
    assertEquals(body, sent.getJsonObject("message").getJsonArray("parts").getString(1), "a value is never expanded again");
    assertFalse(sent.containsKey("evil"));
    assertFalse(sent.getJsonObject("message").containsKey("evil"));
  }

  @Test
  void anAbsentBodyIsNullAloneAndEmptyInsideText() {
    provider.answer(200, "application/json", "{}");
    assertNull(await(sender.send(job("sms", "+15550001111", "Only title", null))), "no id at messages.0.id");
    JsonObject message = provider.next().body().toJsonObject().getJsonObject("message");
    assertEquals("Only title: ", message.getString("text"));
    assertTrue(message.getJsonArray("parts").hasNull(1));
  }

  @Test
  void withoutAMessageIdPathTheIdIsNull() {
    Sender noPath = sender(null);
    try {
      provider.answer(201, "application/json", "{\"id\":\"x\"}");
      assertNull(await(noPath.send(job("sms", "+15550001111", "t", "b"))));
    } finally {
      await(noPath.close());
    }
  }

  @Test
  void messageIdPaths() {
    Buffer answer = Buffer.buffer("{\"data\":{\"id\":42,\"list\":[{\"ref\":\"a\"},{\"ref\":\"b\"}]},\"ok\":true}");
    assertEquals("42", HttpProviderSender.messageId(answer, "data.id"));
    assertEquals("b", HttpProviderSender.messageId(answer, "data.list.1.ref"));
    assertNull(HttpProviderSender.messageId(answer, "data.list.2.ref"));
    assertNull(HttpProviderSender.messageId(answer, "data.missing"));
    assertNull(HttpProviderSender.messageId(answer, "data.list"), "not a scalar");
    assertNull(HttpProviderSender.messageId(Buffer.buffer("not json"), "data.id"));
    assertNull(HttpProviderSender.messageId(answer, null));
  }

  @Test
  void failuresClassify() {
    provider.answer(422, "application/json", "{\"error\":\"invalid number\"}");
    Failure invalid = classified(sender.send(job("sms", "+1", "t", "b")));
    assertEquals(ErrorClass.PERMANENT, invalid.errorClass());
    assertEquals("HTTP 422: {\"error\":\"invalid number\"}", invalid.message());

    provider.answer(403, null, "forbidden");
    assertEquals(ErrorClass.CREDENTIALS, classified(sender.send(job("sms", "+1", "t", "b"))).errorClass());

    provider.answer(500, null, "boom");
    Failure outage = classified(sender.send(job("sms", "+1", "t", "b")));
    assertEquals(ErrorClass.TEMPORARY, outage.errorClass());
    assertEquals(500, outage.httpStatus());

    provider.answer(r -> r.response().setStatusCode(429).putHeader("Retry-After", "3").end());
    assertEquals(java.time.Duration.ofSeconds(3), classified(sender.send(job("sms", "+1", "t", "b"))).retryAfter());
  }
}
