package io.herald.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The notification center over HTTP: /v1/me/... with a user JWT. */
class InboxApiTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  private static JsonObject list(String token, String query) {
    HttpResponse<Buffer> r = gw.get("/v1/me/notifications" + query, token);
    assertEquals(200, r.statusCode(), r.bodyAsString());
    return r.bodyAsJsonObject();
  }

  private static List<String> titles(JsonObject page) {
    List<String> out = new ArrayList<>();
    page.getJsonArray("items").forEach(i -> out.add(((JsonObject) i).getString("title")));
    return out;
  }

  private static void ingest(JsonObject body) {
    HttpResponse<Buffer> r = gw.post("/v1/notifications", TestGateway.INGEST_KEY, body);
    assertEquals(202, r.statusCode(), r.bodyAsString());
  }

  // Pages come newest first; following "next" walks the whole inbox once; the last page has next = null.
  @Test
  void pagesWithACursor() {
    String token = TestGateway.token("pager");
    for (int i = 0; i < 7; i++) {
      gw.notify("pager", "n" + i);
    }
    JsonObject p1 = list(token, "?limit=3");
    assertEquals(List.of("n6", "n5", "n4"), titles(p1));
    JsonObject p2 = list(token, "?limit=3&before=" + p1.getString("next"));
    assertEquals(List.of("n3", "n2", "n1"), titles(p2));
    JsonObject p3 = list(token, "?limit=3&before=" + p2.getString("next"));
    assertEquals(List.of("n0"), titles(p3));
    assertNull(p3.getValue("next"));
    JsonObject item = p1.getJsonArray("items").getJsonObject(0);
    for (String field : List.of("id", "recipient", "title", "body", "level", "category", "actionUrl", "actionLabel", "data",
        "priority", "createdAt", "read", "readAt")) {
      assertTrue(item.containsKey(field), "notification has " + field);
    }
    assertTrue(item.getString("createdAt").endsWith("Z"));
  }

  // Filters: unread only, by category, by level.
  @Test
  void filtersByUnreadCategoryAndLevel() {
    String user = "filterer";
    String token = TestGateway.token(user);
    ingest(new JsonObject().put("recipient", user).put("title", "a").put("category", "billing").put("level", "error"));
    ingest(new JsonObject().put("recipient", user).put("title", "b").put("category", "billing").put("level", "info"));
    ingest(new JsonObject().put("recipient", user).put("title", "c").put("category", "tickets").put("level", "error"));
    String firstId = list(token, "?category=billing&level=error").getJsonArray("items").getJsonObject(0).getString("id");
    assertEquals(200, gw.post("/v1/me/notifications/" + firstId + "/read", token, null).statusCode());
    assertEquals(List.of("c", "b"), titles(list(token, "?unread=true")));
    assertEquals(List.of("b", "a"), titles(list(token, "?category=billing")));
    assertEquals(List.of("c", "a"), titles(list(token, "?level=error")));
    assertEquals(List.of("c", "b", "a"), titles(list(token, "?unread=false")));
  }

  // Read, unread, read-all and delete change the unread count; a second delete is a 404.
  @Test
  void markingAndDeletingChangeTheCount() {
    String user = "marker";
    String token = TestGateway.token(user);
    String a = gw.notify(user, "a");
    String b = gw.notify(user, "b");
    gw.notify(user, "c");
    assertEquals(3, gw.get("/v1/me/notifications/unread-count", token).bodyAsJsonObject().getInteger("count"));
    HttpResponse<Buffer> read = gw.post("/v1/me/notifications/" + a + "/read", token, null);
    assertEquals(2, read.bodyAsJsonObject().getInteger("unread"));
    JsonObject readItem = list(token, "").getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(n -> n.getString("id").equals(a)).findFirst().orElseThrow();
    assertEquals(true, readItem.getBoolean("read"));
    assertTrue(readItem.getString("readAt").endsWith("Z"));
    assertEquals(3, gw.post("/v1/me/notifications/" + a + "/unread", token, null).bodyAsJsonObject().getInteger("unread"));
    assertEquals(200, gw.request(HttpMethod.DELETE, "/v1/me/notifications/" + b, token, null).statusCode());
    assertEquals(404, gw.request(HttpMethod.DELETE, "/v1/me/notifications/" + b, token, null).statusCode());
    assertEquals(2, gw.get("/v1/me/notifications/unread-count", token).bodyAsJsonObject().getInteger("count"));
    JsonObject all = gw.post("/v1/me/notifications/read-all", token, null).bodyAsJsonObject();
    assertEquals(2, all.getInteger("updated"));
    assertEquals(0, all.getInteger("unread"));
    assertEquals(List.of("c", "a"), titles(list(token, "")));
  }

  // One user can neither see nor touch another user's notifications.
  @Test
  void usersAreIsolated() {
    String mine = gw.notify("owner", "private");
    String other = TestGateway.token("intruder");
    assertTrue(list(other, "").getJsonArray("items").isEmpty());
    assertEquals(404, gw.post("/v1/me/notifications/" + mine + "/read", other, null).statusCode());
    assertEquals(404, gw.request(HttpMethod.DELETE, "/v1/me/notifications/" + mine, other, null).statusCode());
    HttpResponse<Buffer> cursor = gw.get("/v1/me/notifications?before=" + mine, other);
    assertEquals(400, cursor.statusCode());
    assertEquals("invalid_cursor", cursor.bodyAsJsonObject().getJsonObject("error").getString("code"));
    assertEquals(1, gw.get("/v1/me/notifications/unread-count", TestGateway.token("owner")).bodyAsJsonObject().getInteger("count"));
  }

  // Scheduled notifications stay out of the inbox until sendAt; expired ones leave it at expiresAt.
  @Test
  void scheduledAndExpiredAreHidden() {
    String user = "timed";
    String token = TestGateway.token(user);
    ingest(new JsonObject().put("recipient", user).put("title", "later").put("sendAt", Instant.now().plusSeconds(3600).toString()));
    ingest(new JsonObject().put("recipient", user).put("title", "brief").put("expiresAt", Instant.now().plusSeconds(2).toString()));
    assertEquals(List.of("brief"), titles(list(token, "")));
    TestGateway.eventually(() -> titles(list(token, "")).isEmpty(), "the expired notification to leave the inbox");
    // the counter follows within a second (the expiry sweep)
    TestGateway.eventually(() -> gw.get("/v1/me/notifications/unread-count", token).bodyAsJsonObject().getInteger("count") == 0,
        "the unread count to drop the expired notification");
  }

  // Bad parameters are 400s naming the parameter; bad callers are 401/403.
  @Test
  void badInputAndBadCallers() {
    String token = TestGateway.token("careful");
    assertError(gw.get("/v1/me/notifications?limit=0", token), 400, "limit");
    assertError(gw.get("/v1/me/notifications?limit=101", token), 400, "limit");
    assertError(gw.get("/v1/me/notifications?limit=abc", token), 400, "limit");
    assertError(gw.get("/v1/me/notifications?level=fatal", token), 400, "level");
    assertError(gw.get("/v1/me/notifications?unread=yes", token), 400, "unread");
    assertError(gw.get("/v1/me/notifications?before=not-a-cursor", token), 400, "before");
    assertEquals(404, gw.post("/v1/me/notifications/not-an-id/read", token, null).statusCode());
    assertEquals(401, gw.get("/v1/me/notifications", null).statusCode());
    assertEquals(401, gw.get("/v1/me/notifications", "garbage.token.here").statusCode());
    assertEquals(403, gw.get("/v1/me/notifications", TestGateway.ADMIN_KEY).statusCode());
    long now = Instant.now().getEpochSecond();
    String expired = io.herald.auth.Jwt.sign("HS256", TestGateway.JWT_SECRET, null,
        new JsonObject().put("sub", "careful").put("roles", new JsonArray()).put("exp", now - 3600));
    HttpResponse<Buffer> r = gw.get("/v1/me/notifications", expired);
    assertEquals(401, r.statusCode());
    assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").contains("expired"));
    assertEquals(404, gw.get("/v1/nothing-here", token).statusCode());
  }

  private static void assertError(HttpResponse<Buffer> r, int status, String field) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    JsonObject error = r.bodyAsJsonObject().getJsonObject("error");
    assertEquals(field, error.getString("field"), r.bodyAsString());
    assertTrue(error.getString("message").length() > 5);
  }
}
