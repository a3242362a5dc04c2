package io.herald.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code /v1/subscribers/{id}}: create, replace, read, forget, and every refusal naming its field. */
class SubscriberApiTest {
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  private static HttpResponse<Buffer> put(String user, String key, Object body) {
    return gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, key, body);
  }

  @Test
  void putCreatesThenReplacesAndGetReadsItBack() {
    JsonObject full = new JsonObject().put("email", "ada@example.com").put("phone", "+15551234567").put("whatsapp", "+15557654321")
        .put("locale", "pt-BR").put("roles", new JsonArray().add("staff").add("admin"))
        .put("preferences", new JsonObject().put("channels", new JsonObject().put("sms", false))
            .put("categories", new JsonObject().put("marketing", false)));
    HttpResponse<Buffer> created = put("ada", TestGateway.INGEST_KEY, full);
    assertEquals(201, created.statusCode(), created.bodyAsString());
    JsonObject got = gw.get("/v1/subscribers/ada", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals("ada", got.getString("userId"));
    assertEquals("+15557654321", got.getString("whatsapp"));
    assertEquals(new JsonArray().add("staff").add("admin"), got.getJsonArray("roles"));
    assertEquals(false, got.getJsonObject("preferences").getJsonObject("channels").getBoolean("sms"));

    // PUT replaces the whole subscriber: what is left out is cleared
    HttpResponse<Buffer> replaced = put("ada", TestGateway.ADMIN_KEY, new JsonObject().put("email", "ada@new.example"));
    assertEquals(200, replaced.statusCode());
    got = gw.get("/v1/subscribers/ada", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals("ada@new.example", got.getString("email"));
    assertNull(got.getString("phone"));
    assertEquals(new JsonArray(), got.getJsonArray("roles"));
    assertEquals(new JsonObject(), got.getJsonObject("preferences"));
  }

  @Test
  void digestChoicesAndTheTimeZoneAreKept() {
    JsonObject prefs = new JsonObject()
        .put("channels", new JsonObject().put("email", new JsonObject().put("digest", "weekly")))
        .put("categories", new JsonObject().put("news", new JsonObject().put("digest", "daily")).put("ads", false))
        .put("digest", new JsonObject().put("hour", 18).put("day", "friday").put("unreadSummary", false));
    HttpResponse<Buffer> r = put("zoe", TestGateway.ADMIN_KEY, new JsonObject().put("timeZone", "America/Sao_Paulo")
        .put("preferences", prefs));
    assertEquals(201, r.statusCode(), r.bodyAsString());
    JsonObject got = gw.get("/v1/subscribers/zoe", TestGateway.ADMIN_KEY).bodyAsJsonObject();
    assertEquals("America/Sao_Paulo", got.getString("timeZone"));
    assertEquals(prefs, got.getJsonObject("preferences"));
  }

  @Test
  void deleteForgetsAndUnknownIsA404() {
    assertEquals(201, put("gone", TestGateway.ADMIN_KEY, new JsonObject().put("email", "g@example.com")).statusCode());
    assertEquals(403, gw.request(HttpMethod.DELETE, "/v1/subscribers/gone", TestGateway.INGEST_KEY, null).statusCode(),
        "forgetting a subscriber needs the admin scope");
    assertEquals(204, gw.request(HttpMethod.DELETE, "/v1/subscribers/gone", TestGateway.ADMIN_KEY, null).statusCode());
    assertEquals(404, gw.get("/v1/subscribers/gone", TestGateway.ADMIN_KEY).statusCode());
    assertEquals(404, gw.request(HttpMethod.DELETE, "/v1/subscribers/gone", TestGateway.ADMIN_KEY, null).statusCode());
  }

  @Test
  void callersWithoutTheRightCredentialsAreRefused() {
    assertEquals(401, put("x", null, new JsonObject()).statusCode());
    assertEquals(401, put("x", "not-a-key-at-all", new JsonObject()).statusCode());
    assertEquals(403, put("x", TestGateway.token("x"), new JsonObject()).statusCode(), "a user JWT cannot write subscribers");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"email\": \"not-an-address\"}|email",
      "{\"email\": \"a@b.example, c@d.example\"}|email",
      "{\"phone\": \"555-1234\"}|phone",
      "{\"whatsapp\": \"+0123\"}|whatsapp",
      "{\"locale\": \"english please\"}|locale",
      "{\"roles\": \"admin\"}|roles",
      "{\"roles\": [\"ok\", \"not ok\"]}|roles[1]",
      "{\"preferences\": {\"channels\": {\"pigeon\": false}}}|preferences.channels.pigeon",
      "{\"preferences\": {\"channels\": {\"sms\": \"no\"}}}|preferences.channels.sms",
      "{\"preferences\": {\"times\": {}}}|preferences.times",
      "{\"preferences\": []}|preferences",
      "{\"timeZone\": \"Mars/Olympus\"}|timeZone",
      "{\"timeZone\": \"+02:00\"}|timeZone",
      "{\"preferences\": {\"categories\": {\"news\": {\"digest\": \"hourly\"}}}}|preferences.categories.news",
      "{\"preferences\": {\"channels\": {\"sms\": {\"digest\": \"daily\"}}}}|preferences.channels.sms",
      "{\"preferences\": {\"digest\": {\"hour\": 24}}}|preferences.digest.hour",
      "{\"preferences\": {\"digest\": {\"day\": \"Caturday\"}}}|preferences.digest.day",
      "{\"preferences\": {\"digest\": {\"unreadSummary\": \"yes\"}}}|preferences.digest.unreadSummary",
      "{\"preferences\": {\"digest\": {\"minute\": 5}}}|preferences.digest.minute",
      "{\"nickname\": \"ada\"}|nickname"})
  void badFieldsAreA400NamingTheField(String body, String field) {
    HttpResponse<Buffer> r = put("bad", TestGateway.ADMIN_KEY, new JsonObject(body));
    assertEquals(400, r.statusCode(), r.bodyAsString());
    assertEquals(field, r.bodyAsJsonObject().getJsonObject("error").getString("field"));
    assertEquals(404, gw.get("/v1/subscribers/bad", TestGateway.ADMIN_KEY).statusCode(), "nothing written");
  }

  @Test
  void aBodyThatIsNotJsonIsA400() {
    HttpResponse<Buffer> r = put("bad", TestGateway.ADMIN_KEY, Buffer.buffer("{nope"));
    assertEquals(400, r.statusCode());
  }
}
