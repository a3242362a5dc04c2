package io.herald.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code POST /v1/broadcasts}: who may send, what is refused, what is recorded, and what a persisted one writes. */
class BroadcastApiTest {
  static TestGateway gw;

  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  @Test
  void persistedBroadcastReachesAnOfflineSubscribersInboxAndOnlyMatchingSubscribers() {
    // GIVEN subscribers with and without the role, none of them connected, and a user who is no subscriber
    String role = role();
    String holder = user();
    String both = user();
    String other = user();
    String stranger = user();
    subscriber(holder, role);
    subscriber(both, "staff", role);
    subscriber(other, "staff");

    // WHEN a persisted broadcast names the role
    HttpResponse<Buffer> r = broadcast(new JsonObject().put("message", "The office is closed on Friday").put("level", "success")
        .put("roles", new JsonArray().add(role)).put("persist", true));

    // THEN the holders' inboxes have it; the others' do not
    assertEquals(202, r.statusCode(), r.bodyAsString());
    JsonObject answer = r.bodyAsJsonObject();
    assertEquals(2, answer.getInteger("persisted"));
    assertEquals(0, answer.getInteger("delivered"), "nobody is connected");
    String id = answer.getString("id");
    for (String user : List.of(holder, both)) {
      // connecting later: the welcome counts it, the inbox lists it
      TestSocket s = gw.socket(TestGateway.token(user, role));
      assertEquals(1, s.next("welcome").getInteger("unread"), user);
      s.close();
      JsonArray items = gw.get("/v1/me/notifications", TestGateway.token(user)).bodyAsJsonObject().getJsonArray("items");
      assertEquals(1, items.size(), items.encode());
      JsonObject n = items.getJsonObject(0);
      assertEquals(user, n.getString("recipient"));
      assertEquals("The office is closed on Friday", n.getString("title"));
      assertEquals("The office is closed on Friday", n.getString("body"));
      assertEquals("success", n.getString("level"));
      assertEquals("broadcast", n.getString("category"));
      assertEquals(new JsonObject().put("broadcastId", id), n.getJsonObject("data"));
      assertFalse(n.getBoolean("read"));
      assertEquals(1, gw.get("/v1/me/notifications/unread-count", TestGateway.token(user)).bodyAsJsonObject().getInteger("count"));
    }
    for (String user : List.of(other, stranger)) {
      assertEquals(0, gw.get("/v1/me/notifications", TestGateway.token(user)).bodyAsJsonObject().getJsonArray("items").size(), user);
      assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + user + "'"), user);
    }
  }

  @Test
  void persistedBroadcastToARoleOfThousandsWritesEachOnceAcrossPagesWithExactCounters() {
    // 2,500 subscribers (three pages) hold the role; one already has a notification, and its sequence goes on from it
    String role = role();
    gw.query("INSERT INTO subscribers (user_id, roles) SELECT '" + role + "-' || lpad(g::text, 5, '0'), ARRAY['" + role
        + "', 'x'] FROM generate_series(1, 2500) g");
    String earlier = role + "-01500";
    gw.notify(earlier, "before the broadcast");

    HttpResponse<Buffer> r = broadcast(new JsonObject().put("message", "Quarterly results are out").put("persist", true)
        .put("title", "Results").put("category", "news").put("roles", new JsonArray().add("nobody-holds-this").add(role)));

    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertEquals(2500, r.bodyAsJsonObject().getInteger("persisted"));
    String id = r.bodyAsJsonObject().getString("id");
    assertEquals(2500, gw.count("SELECT count(DISTINCT recipient) FROM notifications WHERE data->>'broadcastId' = '" + id
        + "' AND recipient LIKE '" + role + "-%' AND title = 'Results' AND category = 'news' AND body = 'Quarterly results are out'"));
    assertEquals(2500, gw.count("SELECT count(*) FROM notifications WHERE data->>'broadcastId' = '" + id + "'"));
    assertEquals(2, gw.count("SELECT seq FROM notifications WHERE data->>'broadcastId' = '" + id + "' AND recipient = '" + earlier + "'"));
    assertEquals(2, gw.count("SELECT unread FROM inbox WHERE recipient = '" + earlier + "'"));
    // every inbox row agrees with the rows: counter, last sequence number, version
    assertEquals(0, gw.count("SELECT count(*) FROM inbox i WHERE i.recipient LIKE '" + role + "-%' AND (i.unread <> "
        + "(SELECT count(*) FROM notifications n WHERE n.recipient = i.recipient AND n.read_at IS NULL) OR i.last_seq <> "
        + "(SELECT max(seq) FROM notifications n WHERE n.recipient = i.recipient))"));
    assertEquals(2500, gw.count("SELECT count(*) FROM inbox WHERE recipient LIKE '" + role + "-%'"));
    assertEquals(2500, gw.count("SELECT recipients FROM broadcasts WHERE id = '" + id + "'"));
  }

  @Test
  void persistedBroadcastWithoutRolesWritesEverySubscriber() {
    // no roles: every subscriber (whatever their roles, none included) gets one row
    subscriber(user());
    subscriber(user(), role());
    long subscribers = gw.count("SELECT count(*) FROM subscribers");
    HttpResponse<Buffer> r = broadcast(new JsonObject().put("message", "To all").put("persist", true));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    assertEquals(subscribers, r.bodyAsJsonObject().getInteger("persisted").longValue());
    String id = r.bodyAsJsonObject().getString("id");
    assertEquals(0, gw.count("SELECT count(*) FROM subscribers s WHERE (SELECT count(*) FROM notifications n WHERE n.recipient = s.user_id "
        + "AND n.data->>'broadcastId' = '" + id + "') <> 1"));
  }

  @Test
  void broadcastIsRecordedWithItsSender() {
    // the row holds the API key's name, the message, level, roles, persist and the count of rows written
    String role = role();
    HttpResponse<Buffer> r = broadcast(new JsonObject().put("message", "Recorded").put("level", "ERROR")
        .put("roles", new JsonArray().add(role).add(role)));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    String id = r.bodyAsJsonObject().getString("id");
    Row row = gw.query("SELECT sender, message, level, roles, persist, recipients, created_at, category FROM broadcasts WHERE id = '"
        + id + "'").iterator().next();
    assertEquals("admin", row.getString("sender"));
    assertEquals("Recorded", row.getString("message"));
    assertEquals("error", row.getString("level"));
    assertEquals(List.of(role), List.of(row.getArrayOfStrings("roles")), "a repeated role counts once");
    assertEquals(false, row.getBoolean("persist"));
    assertEquals(0, row.getInteger("recipients"));
    assertNotNull(row.getOffsetDateTime("created_at"));
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE data->>'broadcastId' = '" + id + "'"), "nothing persisted");
  }

  @Test
  void defaultTitleIsTheFirst200CharactersOfTheMessage() {
    String role = role();
    String user = user();
    subscriber(user, role);
    String message = "x".repeat(199) + "yz" + "w".repeat(500);
    HttpResponse<Buffer> r = broadcast(new JsonObject().put("message", message).put("persist", true).put("roles", new JsonArray().add(role)));
    assertEquals(202, r.statusCode(), r.bodyAsString());
    JsonObject n = gw.get("/v1/me/notifications", TestGateway.token(user)).bodyAsJsonObject().getJsonArray("items").getJsonObject(0);
    assertEquals("x".repeat(199) + "y", n.getString("title"));
    assertEquals(message, n.getString("body"));
  }

  @Test
  void onlyApplicationsWithTheBroadcastScopeMayBroadcast() {
    // no credentials → 401; a user JWT or a key without the scope → 403; nothing is recorded
    long before = gw.count("SELECT count(*) FROM broadcasts");
    JsonObject body = new JsonObject().put("message", "not allowed");
    IngestApiTest.error(gw.post("/v1/broadcasts", null, body), 401, "unauthorized", null);
    IngestApiTest.error(gw.post("/v1/broadcasts", "not-a-key", body), 401, "unauthorized", null);
    IngestApiTest.error(gw.post("/v1/broadcasts", TestGateway.token(user(), "admin", "broadcast"), body), 403, "forbidden", null);
    IngestApiTest.error(gw.post("/v1/broadcasts", TestGateway.INGEST_KEY, body), 403, "forbidden", null);
    assertEquals(before, gw.count("SELECT count(*) FROM broadcasts"));
  }

  static List<Object[]> invalid() {
    return List.of(
        new Object[] {new JsonObject(), "message"},
        new Object[] {new JsonObject().put("message", ""), "message"},
        new Object[] {new JsonObject().put("message", "   "), "message"},
        new Object[] {new JsonObject().put("message", 42), "message"},
        new Object[] {new JsonObject().put("message", "m".repeat(2001)), "message"},
        new Object[] {new JsonObject().put("message", "hi").put("mesage", "typo"), "mesage"},
        new Object[] {new JsonObject().put("message", "hi").put("level", 3), "level"},
        new Object[] {new JsonObject().put("message", "hi").put("roles", "ops"), "roles"},
        new Object[] {new JsonObject().put("message", "hi").put("roles", new JsonArray().add("ops").add("no spaces")), "roles[1]"},
        new Object[] {new JsonObject().put("message", "hi").put("roles", new JsonArray().add(7)), "roles[0]"},
        new Object[] {new JsonObject().put("message", "hi").put("roles", new JsonArray(java.util.Collections.nCopies(51, "r"))), "roles"},
        new Object[] {new JsonObject().put("message", "hi").put("persist", "yes"), "persist"},
        new Object[] {new JsonObject().put("message", "hi").put("title", "t".repeat(201)), "title"},
        new Object[] {new JsonObject().put("message", "hi").put("title", " "), "title"},
        new Object[] {new JsonObject().put("message", "hi").put("category", "no spaces"), "category"});
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void invalidBodiesAre400sNamingTheField(JsonObject body, String field) {
    long before = gw.count("SELECT count(*) FROM broadcasts");
    IngestApiTest.error(broadcast(body), 400, "invalid_field", field);
    assertEquals(before, gw.count("SELECT count(*) FROM broadcasts"), "nothing recorded");
  }

  @Test
  void bodyThatIsNotAJsonObjectIsA400() {
    IngestApiTest.error(gw.post("/v1/broadcasts", TestGateway.ADMIN_KEY, "{not json"), 400, "invalid_json", null);
    IngestApiTest.error(gw.post("/v1/broadcasts", TestGateway.ADMIN_KEY, "[1]"), 400, "invalid_json", null);
  }

  @Test
  void a2000CharacterMessageIsAccepted() {
    assertEquals(202, broadcast(new JsonObject().put("message", "m".repeat(2000))).statusCode());
  }

  // ---- helpers ----

  private static HttpResponse<Buffer> broadcast(JsonObject body) {
    return gw.post("/v1/broadcasts", TestGateway.ADMIN_KEY, body);
  }

  private static void subscriber(String user, String... roles) {
    HttpResponse<Buffer> r = gw.request(HttpMethod.PUT, "/v1/subscribers/" + user, TestGateway.ADMIN_KEY,
        new JsonObject().put("roles", new JsonArray(List.of(roles))));
    assertEquals(201, r.statusCode(), r.bodyAsString());
  }

  private static String user() {
    return "u-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static String role() {
    return "r-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
