package io.herald.ingest;

import static io.herald.TestGateway.ADMIN_KEY;
import static io.herald.TestGateway.INGEST_KEY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code POST /v1/notifications} and {@code GET /v1/notifications/{id}} end to end over real HTTP and PostgreSQL. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IngestApiTest {
  static final String PATH = "/v1/notifications";
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  // ---- helpers ----

  static JsonObject valid(String recipient) {
    return new JsonObject().put("recipient", recipient).put("title", "Hello");
  }

  static long rows() {
    return gw.count("SELECT count(*) FROM notifications");
  }

  static long rowsFor(String recipient) {
    return gw.count("SELECT count(*) FROM notifications WHERE recipient = '" + recipient.replace("'", "''") + "'");
  }

  static Row row(String id) {
    var rows = gw.query("SELECT * FROM notifications WHERE id = '" + UUID.fromString(id) + "'");
    assertEquals(1, rows.size(), "rows with id " + id);
    return rows.iterator().next();
  }

  static HttpResponse<Buffer> ingest(Object body) {
    return gw.post(PATH, INGEST_KEY, body);
  }

  static JsonObject ok(HttpResponse<Buffer> r, int status) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    assertTrue(r.getHeader("Content-Type").startsWith("application/json"), r.getHeader("Content-Type"));
    return r.bodyAsJsonObject();
  }

  /** Asserts the contract error shape and returns the error object. */
  static JsonObject error(HttpResponse<Buffer> r, int status, String code, String field) {
    assertEquals(status, r.statusCode(), r.bodyAsString());
    JsonObject body = r.bodyAsJsonObject();
    assertNotNull(body, "error body");
    JsonObject err = body.getJsonObject("error");
    assertNotNull(err, r.bodyAsString());
    assertEquals(code, err.getString("code"), r.bodyAsString());
    assertEquals(field, err.getString("field"), r.bodyAsString());
    assertFalse(err.getString("message", "").isBlank(), r.bodyAsString());
    return err;
  }

  static String repeat(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  static JsonArray users(String prefix, int n) {
    JsonArray out = new JsonArray();
    IntStream.range(0, n).forEach(i -> out.add(prefix + i));
    return out;
  }

  // ---- single recipient ----

  @Test
  void singleRecipientIsStoredWithEveryFieldAndReadableByAdmin() {
    // one recipient → 202 {id, deliveries: []}; the row holds every field; the admin GET returns it
    JsonObject data = new JsonObject().put("invoice", 7).put("tags", new JsonArray().add("a").add("b"))
        .put("nested", new JsonObject().put("k", true));
    JsonObject body = valid("single-1").put("title", "Invoice ready").put("body", "Your invoice #7 is ready")
        .put("level", "success").put("category", "billing.invoice").put("actionUrl", "https://app.example/invoices/7")
        .put("actionLabel", "Open").put("data", data).put("priority", "high")
        .put("sendAt", "2020-06-01T12:00:00+02:00").put("expiresAt", "2099-01-01T00:00:00Z");
    JsonObject answer = ok(ingest(body), 202);
    String id = answer.getString("id");
    assertNotNull(UUID.fromString(id));
    assertEquals(new JsonArray(), answer.getJsonArray("deliveries"));
    assertEquals(Set.of("id", "deliveries"), answer.fieldNames());

    Row r = row(id);
    assertEquals("single-1", r.getString("recipient"));
    assertEquals("Invoice ready", r.getString("title"));
    assertEquals("Your invoice #7 is ready", r.getString("body"));
    assertEquals("success", r.getString("level"));
    assertEquals("billing.invoice", r.getString("category"));
    assertEquals("https://app.example/invoices/7", r.getString("action_url"));
    assertEquals("Open", r.getString("action_label"));
    assertEquals(data, r.getValue("data"));
    assertEquals("high", r.getString("priority"));
    assertEquals(List.of("inapp"), List.of(r.getArrayOfStrings("channels")));
    assertEquals(OffsetDateTime.parse("2020-06-01T10:00:00Z").toInstant(), r.getOffsetDateTime("send_at").toInstant());
    assertEquals(OffsetDateTime.parse("2099-01-01T00:00:00Z").toInstant(), r.getOffsetDateTime("expires_at").toInstant());
    assertNull(r.getOffsetDateTime("read_at"));
    assertNull(r.getOffsetDateTime("deleted_at"));
    assertTrue(r.getLong("seq") >= 1);

    JsonObject shown = ok(gw.get(PATH + "/" + id, ADMIN_KEY), 200);
    assertEquals(id, shown.getString("id"));
    assertEquals("single-1", shown.getString("recipient"));
    assertEquals("Invoice ready", shown.getString("title"));
    assertEquals("Your invoice #7 is ready", shown.getString("body"));
    assertEquals("success", shown.getString("level"));
    assertEquals("billing.invoice", shown.getString("category"));
    assertEquals("https://app.example/invoices/7", shown.getString("actionUrl"));
    assertEquals("Open", shown.getString("actionLabel"));
    assertEquals(data, shown.getJsonObject("data"));
    assertEquals("high", shown.getString("priority"));
    assertEquals(false, shown.getBoolean("read"));
    assertNull(shown.getString("readAt"));
    assertEquals(OffsetDateTime.parse("2020-06-01T10:00:00Z").toInstant(), OffsetDateTime.parse(shown.getString("sendAt")).toInstant());
    assertTrue(shown.getString("sendAt").endsWith("Z"), "times are UTC: " + shown.getString("sendAt"));
    assertEquals(OffsetDateTime.parse("2099-01-01T00:00:00Z").toInstant(), OffsetDateTime.parse(shown.getString("expiresAt")).toInstant());
    OffsetDateTime created = OffsetDateTime.parse(shown.getString("createdAt"));
    assertEquals(ZoneOffset.UTC, created.getOffset());
    assertEquals(r.getOffsetDateTime("created_at").toInstant(), created.toInstant());
    assertEquals(new JsonArray(), shown.getJsonArray("deliveries"));
  }

  @Test
  void minimalRequestGetsDefaults() {
    // only recipient and title: level info, priority normal, channels [inapp], no optional fields
    String id = ok(ingest(valid("minimal-1")), 202).getString("id");
    Row r = row(id);
    assertEquals("info", r.getString("level"));
    assertEquals("normal", r.getString("priority"));
    assertEquals(List.of("inapp"), List.of(r.getArrayOfStrings("channels")));
    assertNull(r.getString("body"));
    assertNull(r.getString("category"));
    assertNull(r.getValue("data"));
    assertNull(r.getOffsetDateTime("send_at"));
    assertNull(r.getOffsetDateTime("expires_at"));
    assertNull(r.getString("idempotency_key"));
  }

  @Test
  void limitsAreInclusive() {
    // exactly 200 title chars, 5000 body chars and 16 KiB of data JSON are accepted and stored whole
    String title = repeat('t', 200);
    String body = repeat('b', 5000);
    JsonObject data = new JsonObject().put("b", repeat('x', 16 * 1024 - 8));
    assertEquals(16 * 1024, data.encode().length());
    String id = ok(ingest(valid("limits-1").put("title", title).put("body", body).put("data", data)), 202).getString("id");
    Row r = row(id);
    assertEquals(title, r.getString("title"));
    assertEquals(body, r.getString("body"));
    assertEquals(data, r.getValue("data"));
  }

  @Test
  void unknownLevelFallsBackToInfoAndCaseIsNormalised() {
    // level "fatal" is stored and shown as info; "WARNING" as warning
    String fatal = ok(ingest(valid("level-1").put("level", "fatal")), 202).getString("id");
    String warning = ok(ingest(valid("level-1").put("level", "WARNING")), 202).getString("id");
    assertEquals("info", row(fatal).getString("level"));
    assertEquals("warning", row(warning).getString("level"));
    assertEquals("info", ok(gw.get(PATH + "/" + fatal, ADMIN_KEY), 200).getString("level"));
    assertEquals("warning", ok(gw.get(PATH + "/" + warning, ADMIN_KEY), 200).getString("level"));
  }

  // ---- several recipients ----

  @Test
  void recipientListGivesIdsInRecipientOrder() {
    // recipients → 202 {ids} in the order given, one row per recipient with the same content
    JsonArray recipients = new JsonArray().add("list-c").add("list-a").add("list-b");
    JsonObject answer = ok(ingest(new JsonObject().put("recipients", recipients).put("title", "Team news")), 202);
    assertEquals(Set.of("ids"), answer.fieldNames());
    JsonArray ids = answer.getJsonArray("ids");
    assertEquals(3, ids.size());
    assertEquals(3, new HashSet<>(ids.getList()).size());
    for (int i = 0; i < 3; i++) {
      Row r = row(ids.getString(i));
      assertEquals(recipients.getString(i), r.getString("recipient"));
      assertEquals("Team news", r.getString("title"));
      assertEquals(1, rowsFor(recipients.getString(i)));
    }
  }

  @Test
  void tenThousandRecipientsAreAllWritten() {
    // the maximum of 10,000 recipients in one call writes 10,000 rows, answered once durable
    JsonObject answer = ok(ingest(new JsonObject().put("recipients", users("bulk-", 10_000)).put("title", "Bulk")), 202);
    JsonArray ids = answer.getJsonArray("ids");
    assertEquals(10_000, ids.size());
    assertEquals(10_000, new HashSet<>(ids.getList()).size());
    assertEquals(10_000, gw.count("SELECT count(*) FROM notifications WHERE recipient LIKE 'bulk-%' AND title = 'Bulk'"));
    assertEquals("bulk-9999", row(ids.getString(9999)).getString("recipient"));
    assertEquals(10_000, gw.count("SELECT count(*) FROM inbox WHERE recipient LIKE 'bulk-%' AND unread = 1"));
  }

  @Test
  void tenThousandAndOneRecipientsAreRefused() {
    // 10,001 recipients → 400 naming recipients, nothing written
    long before = rows();
    error(ingest(new JsonObject().put("recipients", users("over-", 10_001)).put("title", "Too many")), 400, "invalid_field", "recipients");
    assertEquals(before, rows());
    assertEquals(0, gw.count("SELECT count(*) FROM notifications WHERE recipient LIKE 'over-%'"));
  }

  // ---- validation ----

  static Stream<Arguments> invalidBodies() {
    JsonObject bigData = new JsonObject().put("b", repeat('x', 16 * 1024 - 7));
    return Stream.<Object[]>of(
        new Object[] {"missing recipient", op(b -> remove(b, "recipient")), "recipient", null},
        new Object[] {"recipient and recipients", op(b -> b.put("recipients", new JsonArray().add("v-2"))), "recipients", "not both"},
        new Object[] {"empty recipient", op(b -> b.put("recipient", "")), "recipient", null},
        new Object[] {"blank recipient", op(b -> b.put("recipient", "   ")), "recipient", null},
        new Object[] {"numeric recipient", op(b -> b.put("recipient", 42)), "recipient", null},
        new Object[] {"object recipient", op(b -> b.put("recipient", new JsonObject().put("id", "v"))), "recipient", null},
        new Object[] {"recipient with control characters", op(b -> b.put("recipient", "v\n1")), "recipient", null},
        new Object[] {"recipient of 201 characters", op(b -> b.put("recipient", repeat('r', 201))), "recipient", null},
        new Object[] {"empty recipients list", op(b -> remove(b, "recipient").put("recipients", new JsonArray())), "recipients", null},
        new Object[] {"recipients not a list", op(b -> remove(b, "recipient").put("recipients", "v-1,v-2")), "recipients", null},
        new Object[] {"empty string in recipients", op(b -> remove(b, "recipient").put("recipients", new JsonArray().add("v-1").add(""))),
            "recipients[1]", null},
        new Object[] {"blank string in recipients", op(b -> remove(b, "recipient").put("recipients", new JsonArray().add(" ").add("v-1"))),
            "recipients[0]", null},
        new Object[] {"number in recipients", op(b -> remove(b, "recipient").put("recipients", new JsonArray().add("v-1").add(7))),
            "recipients[1]", null},
        new Object[] {"null in recipients", op(b -> remove(b, "recipient").put("recipients", new JsonArray().add("v-1").addNull())),
            "recipients[1]", null},
        new Object[] {"duplicate in recipients",
            op(b -> remove(b, "recipient").put("recipients", new JsonArray().add("v-1").add("v-2").add("v-1"))), "recipients[2]", "twice"},
        new Object[] {"missing title", op(b -> remove(b, "title")), "title", null},
        new Object[] {"null title", op(b -> b.putNull("title")), "title", null},
        new Object[] {"blank title", op(b -> b.put("title", "  ")), "title", null},
        new Object[] {"title of 201 characters", op(b -> b.put("title", repeat('t', 201))), "title", "200"},
        new Object[] {"numeric title", op(b -> b.put("title", 12)), "title", "string"},
        new Object[] {"list title", op(b -> b.put("title", new JsonArray().add("a"))), "title", "string"},
        new Object[] {"body of 5001 characters", op(b -> b.put("body", repeat('b', 5001))), "body", "5000"},
        new Object[] {"numeric body", op(b -> b.put("body", 5)), "body", null},
        new Object[] {"data a string", op(b -> b.put("data", "{\"a\":1}")), "data", "object"},
        new Object[] {"data a list", op(b -> b.put("data", new JsonArray().add(1))), "data", "object"},
        new Object[] {"data over 16 KiB", op(b -> b.put("data", bigData)), "data", null},
        new Object[] {"numeric level", op(b -> b.put("level", 3)), "level", null},
        new Object[] {"priority urgent", op(b -> b.put("priority", "urgent")), "priority", null},
        new Object[] {"priority in capitals", op(b -> b.put("priority", "HIGH")), "priority", null},
        new Object[] {"unknown channel fax", op(b -> b.put("channels", new JsonArray().add("fax"))), "channels", "unknown"},
        new Object[] {"channel email not enabled", op(b -> b.put("channels", new JsonArray().add("inapp").add("email"))), "channels",
            "not enabled"},
        new Object[] {"channel sms not enabled", op(b -> b.put("channels", new JsonArray().add("sms"))), "channels", "not enabled"},
        new Object[] {"channels a string", op(b -> b.put("channels", "inapp")), "channels", null},
        new Object[] {"channels empty", op(b -> b.put("channels", new JsonArray())), "channels", null},
        new Object[] {"channels with a number", op(b -> b.put("channels", new JsonArray().add(1))), "channels", null},
        new Object[] {"sendAt words", op(b -> b.put("sendAt", "tomorrow")), "sendAt", null},
        new Object[] {"sendAt without offset", op(b -> b.put("sendAt", "2099-01-31T09:00:00")), "sendAt", null},
        new Object[] {"sendAt epoch number", op(b -> b.put("sendAt", 4102444800L)), "sendAt", null},
        new Object[] {"expiresAt not ISO-8601", op(b -> b.put("expiresAt", "31/01/2099 09:00")), "expiresAt", null},
        new Object[] {"expiresAt in the past", op(b -> b.put("expiresAt", "2001-01-01T00:00:00Z")), "expiresAt", "past"},
        new Object[] {"expiresAt before sendAt",
            op(b -> b.put("sendAt", "2099-01-02T00:00:00Z").put("expiresAt", "2099-01-01T00:00:00Z")), "expiresAt", "sendAt"},
        new Object[] {"expiresAt equal to sendAt",
            op(b -> b.put("sendAt", "2099-01-02T00:00:00Z").put("expiresAt", "2099-01-02T00:00:00Z")), "expiresAt", null},
        new Object[] {"javascript actionUrl", op(b -> b.put("actionUrl", "javascript:alert(1)")), "actionUrl", null},
        new Object[] {"protocol-relative actionUrl", op(b -> b.put("actionUrl", "//evil.example/x")), "actionUrl", null},
        new Object[] {"data: actionUrl", op(b -> b.put("actionUrl", "data:text/html,<script>alert(1)</script>")), "actionUrl", null},
        new Object[] {"bad category", op(b -> b.put("category", "has space")), "category", null},
        new Object[] {"bad email", op(b -> b.put("email", "not-an-address")), "email", null},
        new Object[] {"bad phone", op(b -> b.put("phone", "555-1234")), "phone", null},
        new Object[] {"numeric idempotencyKey", op(b -> b.put("idempotencyKey", 42)), "idempotencyKey", null},
        new Object[] {"misspelt recipient", op(b -> remove(b, "recipient").put("recipent", "v-1")), "recipent", "unknown"},
        new Object[] {"unknown field", op(b -> b.put("color", "red")), "color", "unknown"})
        .map(a -> Arguments.of(a));
  }

  static UnaryOperator<JsonObject> op(UnaryOperator<JsonObject> f) {
    return f;
  }

  static JsonObject remove(JsonObject b, String key) {
    b.remove(key);
    return b;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidBodies")
  void invalidFieldIsRefusedNamingItAndWritesNothing(String what, UnaryOperator<JsonObject> change, String field, String saying) {
    // each invalid body → 400 invalid_field naming the field (message says why), and no row is written
    long before = rows();
    JsonObject err = error(ingest(change.apply(valid("v-1"))), 400, "invalid_field", field);
    if (saying != null) {
      assertTrue(err.getString("message").contains(saying), err.getString("message"));
    }
    assertEquals(before, rows(), what);
  }

  static Stream<Arguments> unreadableBodies() {
    return Stream.of(
        Arguments.of("malformed JSON", "{\"recipient\": \"v-1\", \"title\": "),
        Arguments.of("trailing comma", "{\"recipient\": \"v-1\", \"title\": \"t\",}"),
        Arguments.of("not JSON at all", "recipient=v-1&title=t"),
        Arguments.of("JSON array", "[{\"recipient\": \"v-1\", \"title\": \"t\"}]"),
        Arguments.of("JSON string", "\"hello\""),
        Arguments.of("JSON null", "null"),
        Arguments.of("JSON number", "42"),
        Arguments.of("empty body", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unreadableBodies")
  void unreadableBodyIsInvalidJson(String what, String body) {
    // a body that is not one JSON object → 400 invalid_json (no field), nothing written
    long before = rows();
    error(ingest(Buffer.buffer(body)), 400, "invalid_json", null);
    assertEquals(before, rows(), what);
  }

  @Test
  void missingBodyIsInvalidJson() {
    // a POST without any body at all → 400 invalid_json, nothing written
    long before = rows();
    error(gw.post(PATH, INGEST_KEY, null), 400, "invalid_json", null);
    assertEquals(before, rows());
  }

  @Test
  void bodyOverMaxBodyBytesIs413() {
    // a body larger than http.maxBodyBytes → 413 body_too_large, nothing written; a small one still passes
    try (TestGateway small = TestGateway.start(new JsonObject().put("http", new JsonObject().put("maxBodyBytes", 2048)))) {
      JsonObject big = valid("big-1").put("body", repeat('b', 3000));
      HttpResponse<Buffer> r = small.post(PATH, INGEST_KEY, big);
      error(r, 413, "body_too_large", null);
      assertTrue(r.bodyAsJsonObject().getJsonObject("error").getString("message").contains("2048"), r.bodyAsString());
      assertEquals(0, small.count("SELECT count(*) FROM notifications"));
      assertEquals(202, small.post(PATH, INGEST_KEY, valid("big-1").put("body", repeat('b', 1500))).statusCode());
      assertEquals(1, small.count("SELECT count(*) FROM notifications"));
    }
  }

  // ---- idempotency ----

  static JsonObject keyed(String recipient, String key) {
    return valid(recipient).put("idempotencyKey", key).put("body", "same body").put("data", new JsonObject().put("n", 1));
  }

  @Test
  void sameKeySameRecipientSameBodyGivesTheSameId() {
    // a retried request with the same key → 200 with the first id, still one row
    HttpResponse<Buffer> first = ingest(keyed("idem-1", "key-1"));
    String id = ok(first, 202).getString("id");
    HttpResponse<Buffer> again = ingest(keyed("idem-1", "key-1"));
    JsonObject answer = ok(again, 200);
    assertEquals(id, answer.getString("id"));
    assertEquals(new JsonArray(), answer.getJsonArray("deliveries"));
    assertEquals(1, rowsFor("idem-1"));
    assertEquals("key-1", row(id).getString("idempotency_key"));
  }

  @Test
  void sameKeyDifferentTitleIsAConflict() {
    // the same key with different content → 409 idempotency_conflict on idempotencyKey, nothing new, original kept
    String id = ok(ingest(keyed("idem-2", "key-2")), 202).getString("id");
    long before = rows();
    JsonObject err = error(ingest(keyed("idem-2", "key-2").put("title", "Changed")), 409, "idempotency_conflict", "idempotencyKey");
    assertTrue(err.getString("message").contains("idem-2"), err.getString("message"));
    assertEquals(before, rows());
    assertEquals(1, rowsFor("idem-2"));
    assertEquals("Hello", row(id).getString("title"));
    error(ingest(keyed("idem-2", "key-2").put("priority", "high")), 409, "idempotency_conflict", "idempotencyKey");
    error(ingest(keyed("idem-2", "key-2").put("data", new JsonObject().put("n", 2))), 409, "idempotency_conflict", "idempotencyKey");
    assertEquals(before, rows());
  }

  @Test
  void sameKeyOtherRecipientIsANewNotification() {
    // keys are per recipient: the same key for another user → 202 with a new id
    String first = ok(ingest(keyed("idem-3a", "key-3")), 202).getString("id");
    String second = ok(ingest(keyed("idem-3b", "key-3")), 202).getString("id");
    assertNotEquals(first, second);
    assertEquals(1, rowsFor("idem-3a"));
    assertEquals(1, rowsFor("idem-3b"));
  }

  @Test
  void repeatedListRequestGivesTheSameIds() {
    // a list request repeated with the same key → 200 and the same ids in the same order, nothing new
    JsonObject body = new JsonObject().put("recipients", new JsonArray().add("idem-4a").add("idem-4b").add("idem-4c"))
        .put("title", "List").put("idempotencyKey", "key-4");
    JsonArray ids = ok(ingest(body), 202).getJsonArray("ids");
    long before = rows();
    JsonArray again = ok(ingest(body.copy()), 200).getJsonArray("ids");
    assertEquals(ids, again);
    assertEquals(before, rows());
  }

  @Test
  void listRequestWithOneClashingRecipientWritesNone() {
    // one recipient's key already used with other content → 409 naming that recipient, none of the others written
    ok(ingest(valid("idem-5b").put("title", "Earlier").put("idempotencyKey", "key-5")), 202);
    long before = rows();
    JsonObject body = new JsonObject().put("recipients", new JsonArray().add("idem-5a").add("idem-5b").add("idem-5c"))
        .put("title", "Later").put("idempotencyKey", "key-5");
    JsonObject err = error(ingest(body), 409, "idempotency_conflict", "idempotencyKey");
    assertTrue(err.getString("message").contains("idem-5b"), err.getString("message"));
    assertEquals(before, rows());
    assertEquals(0, rowsFor("idem-5a"));
    assertEquals(0, rowsFor("idem-5c"));
    assertEquals("Earlier", gw.query("SELECT title FROM notifications WHERE recipient = 'idem-5b'").iterator().next().getString(0));
  }

  @Test
  void listRequestOverlappingAnEarlierIdenticalOneReusesItsRow() {
    // a list whose recipient already got this key with the same content reuses that row and writes the others
    String earlier = ok(ingest(valid("idem-6b").put("idempotencyKey", "key-6")), 202).getString("id");
    JsonObject body = new JsonObject().put("recipients", new JsonArray().add("idem-6a").add("idem-6b"))
        .put("title", "Hello").put("idempotencyKey", "key-6");
    JsonArray ids = ok(ingest(body), 202).getJsonArray("ids");
    assertEquals(earlier, ids.getString(1));
    assertEquals("idem-6a", row(ids.getString(0)).getString("recipient"));
    assertEquals(1, rowsFor("idem-6b"));
  }

  @Test
  void dataKeyOrderDoesNotChangeTheBody() {
    // the same data with keys in another order (at every level) is the same body for the key
    String first = "{\"recipient\":\"idem-7\",\"title\":\"t\",\"idempotencyKey\":\"key-7\","
        + "\"data\":{\"a\":1,\"b\":{\"x\":1,\"y\":[{\"p\":1,\"q\":2}]}}}";
    String reordered = "{\"data\":{\"b\":{\"y\":[{\"q\":2,\"p\":1}],\"x\":1},\"a\":1},"
        + "\"idempotencyKey\":\"key-7\",\"title\":\"t\",\"recipient\":\"idem-7\"}";
    String id = ok(ingest(first), 202).getString("id");
    assertEquals(id, ok(ingest(reordered), 200).getString("id"));
    assertEquals(1, rowsFor("idem-7"));
    String changedArrayOrder = "{\"recipient\":\"idem-7\",\"title\":\"t\",\"idempotencyKey\":\"key-7\","
        + "\"data\":{\"a\":1,\"b\":{\"x\":1,\"y\":[{\"q\":2},{\"p\":1}]}}}";
    error(ingest(changedArrayOrder), 409, "idempotency_conflict", "idempotencyKey");
  }

  // ---- concurrency ----

  static List<HttpResponse<Buffer>> concurrently(List<JsonObject> bodies) {
    WebClient client = WebClient.create(gw.client, new WebClientOptions(), new PoolOptions().setHttp1MaxSize(bodies.size()));
    try {
      List<Future<HttpResponse<Buffer>>> futures = new ArrayList<>();
      for (JsonObject body : bodies) {
        futures.add(client.post(gw.port, "127.0.0.1", PATH).putHeader("Authorization", "Bearer " + INGEST_KEY)
            .sendJsonObject(body));
      }
      TestGateway.await(Future.join(futures));
      return futures.stream().map(Future::result).toList();
    } finally {
      client.close();
    }
  }

  @Test
  void concurrentIdenticalRequestsWriteOneRow() {
    // 20 identical requests with one key at once → one 202, nineteen 200, all the same id, one row
    JsonObject body = keyed("race-1", "race-key");
    List<HttpResponse<Buffer>> answers = concurrently(IntStream.range(0, 20).mapToObj(i -> body.copy()).toList());
    Set<String> ids = new HashSet<>();
    int created = 0;
    for (HttpResponse<Buffer> r : answers) {
      assertTrue(r.statusCode() == 200 || r.statusCode() == 202, r.statusCode() + " " + r.bodyAsString());
      created += r.statusCode() == 202 ? 1 : 0;
      ids.add(r.bodyAsJsonObject().getString("id"));
    }
    assertEquals(1, created);
    assertEquals(1, ids.size(), ids.toString());
    assertEquals(1, rowsFor("race-1"));
    assertEquals(ids.iterator().next(), gw.query("SELECT id FROM notifications WHERE recipient = 'race-1'").iterator().next()
        .getUUID(0).toString());
  }

  @Test
  void concurrentRequestsForOneUserGetDistinctIdsAndSeqs() {
    // 50 concurrent requests with different keys for one user → all 202, 50 distinct ids and distinct seq values
    List<JsonObject> bodies = IntStream.range(0, 50).mapToObj(i -> valid("race-2").put("idempotencyKey", "k" + i)
        .put("title", "n" + i)).toList();
    List<HttpResponse<Buffer>> answers = concurrently(bodies);
    Set<String> ids = new HashSet<>();
    for (HttpResponse<Buffer> r : answers) {
      assertEquals(202, r.statusCode(), r.bodyAsString());
      ids.add(r.bodyAsJsonObject().getString("id"));
    }
    assertEquals(50, ids.size());
    assertEquals(50, rowsFor("race-2"));
    assertEquals(50, gw.count("SELECT count(DISTINCT seq) FROM notifications WHERE recipient = 'race-2'"));
    assertEquals(50, gw.count("SELECT count(DISTINCT title) FROM notifications WHERE recipient = 'race-2'"));
    for (int i = 0; i < 50; i++) {
      assertEquals("n" + i, row(answers.get(i).bodyAsJsonObject().getString("id")).getString("title"), "answer " + i);
    }
  }

  // ---- auth ----

  @Test
  void missingCredentialsAre401() {
    // no Authorization header → 401 unauthorized with a Bearer challenge, nothing written
    long before = rows();
    HttpResponse<Buffer> r = gw.post(PATH, null, valid("auth-1"));
    error(r, 401, "unauthorized", null);
    assertEquals("Bearer", r.getHeader("WWW-Authenticate"));
    assertEquals(before, rows());
  }

  @Test
  void unknownKeyIs401() {
    // an API key that is not configured (or only a prefix of one) → 401, nothing written
    long before = rows();
    error(gw.post(PATH, "not-a-known-key-123", valid("auth-1")), 401, "unauthorized", null);
    error(gw.post(PATH, INGEST_KEY.substring(0, INGEST_KEY.length() - 1), valid("auth-1")), 401, "unauthorized", null);
    error(gw.request(io.vertx.core.http.HttpMethod.POST, PATH, "", valid("auth-1")), 401, "unauthorized", null);
    assertEquals(before, rows());
  }

  @Test
  void userTokenIs403() {
    // an end-user JWT cannot ingest → 403 forbidden; a bad JWT → 401
    long before = rows();
    error(gw.post(PATH, TestGateway.token("u1"), valid("auth-1")), 403, "forbidden", null);
    error(gw.post(PATH, TestGateway.token("u1") + "x", valid("auth-1")), 401, "unauthorized", null);
    assertEquals(before, rows());
  }

  @Test
  void keyWithoutIngestScopeIs403() {
    // an API key holding only the admin scope → 403 on ingest, but it can read notifications
    String opsKey = "test-ops-key-0123456789";
    JsonArray keys = new JsonArray()
        .add(new JsonObject().put("name", "admin").put("key", ADMIN_KEY).put("scopes", new JsonArray().add("ingest").add("broadcast").add("admin")))
        .add(new JsonObject().put("name", "ingest").put("key", INGEST_KEY).put("scopes", new JsonArray().add("ingest")))
        .add(new JsonObject().put("name", "ops").put("key", opsKey).put("scopes", new JsonArray().add("admin")));
    try (TestGateway scoped = TestGateway.start(new JsonObject().put("auth", new JsonObject().put("apiKeys", keys)))) {
      JsonObject err = error(scoped.post(PATH, opsKey, valid("scope-1")), 403, "forbidden", null);
      assertTrue(err.getString("message").contains("ingest"), err.getString("message"));
      assertEquals(0, scoped.count("SELECT count(*) FROM notifications"));
      String id = scoped.notify("scope-1", "hi");
      assertEquals(id, ok(scoped.get(PATH + "/" + id, opsKey), 200).getString("id"));
    }
  }

  // ---- GET /v1/notifications/{id} ----

  @Test
  void showNeedsTheAdminScope() {
    // the ingest-only key, a user token and no credentials cannot read a notification
    String id = gw.notify("show-1", "hi");
    error(gw.get(PATH + "/" + id, INGEST_KEY), 403, "forbidden", null);
    error(gw.get(PATH + "/" + id, TestGateway.token("show-1")), 403, "forbidden", null);
    error(gw.get(PATH + "/" + id, null), 401, "unauthorized", null);
    assertEquals(id, ok(gw.get(PATH + "/" + id, ADMIN_KEY), 200).getString("id"));
  }

  @Test
  void showUnknownOrGarbageIdIs404() {
    // a well-formed id that does not exist, and ids that are not UUIDs, → 404 not_found
    error(gw.get(PATH + "/" + UUID.randomUUID(), ADMIN_KEY), 404, "not_found", null);
    error(gw.get(PATH + "/not-a-uuid", ADMIN_KEY), 404, "not_found", null);
    error(gw.get(PATH + "/" + UUID.randomUUID().toString().replace("-", ""), ADMIN_KEY), 404, "not_found", null);
    error(gw.get(PATH + "/%27%20OR%201%3D1--", ADMIN_KEY), 404, "not_found", null);
  }

  // ---- still serving ----

  @Test
  @Order(Integer.MAX_VALUE)
  void stillServesAfterBadRequests() {
    // after a burst of bad requests (run last, after every other test's too) a good request → 202 and is stored
    for (int i = 0; i < 5; i++) {
      ingest("{not json");
      ingest(new JsonObject().put("recipent", "x"));
      gw.post(PATH, null, valid("x"));
      gw.post(PATH, INGEST_KEY, Buffer.buffer(new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1}));
    }
    String id = ok(ingest(valid("after-1").put("title", "still here")), 202).getString("id");
    assertEquals("still here", row(id).getString("title"));
    assertEquals(200, gw.get("/health/ready", null).statusCode());
  }
}
