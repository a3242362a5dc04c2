package io.herald.retry;

import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Delivery rows written straight into a test gateway's schema, in whatever state a test needs,
 * for notifications created through the real ingest API. Fields are public so a test sets only
 * what it cares about: {@code seed.delivery(d -> { d.status = "dead"; d.attempts = 3; })}.
 */
public final class DeliverySeed {
  private final TestGateway gw;
  private int users;

  public DeliverySeed(TestGateway gw) {
    this.gw = gw;
  }

  /** A delivery row; the defaults are a failed e-mail with one attempt behind it, due tomorrow. */
  public static final class D {
    public UUID id = UUID.randomUUID();
    public UUID notificationId;
    public String channel = "email";
    public String destination = "user@example.com";
    public String status = "failed";
    public String reason;
    public int priority = 2;
    public int attempts = 1;
    public int maxAttempts = 10;
    public OffsetDateTime nextAttemptAt = now().plusDays(1);
    /** When it became due; null: as the gateway writes it for a pending or failed row (never tried: created, else next attempt). */
    public OffsetDateTime dueSince;
    public OffsetDateTime leaseUntil;
    public String leaseOwner;
    public String lastError = "connection refused";
    public String lastErrorClass = "temporary";
    public Integer lastHttpStatus;
    public String providerMessageId;
    public OffsetDateTime expiresAt;
    public OffsetDateTime createdAt = now();
    public OffsetDateTime updatedAt = now();
    public OffsetDateTime sentAt;
  }

  public static OffsetDateTime now() {
    return OffsetDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.MICROS);
  }

  /** A notification for a fresh recipient, created through {@code POST /v1/notifications}. */
  public UUID notification() {
    return UUID.fromString(gw.notify("seed-user-" + (++users) + "-" + UUID.randomUUID(), "Seeded"));
  }

  /** {@code n} notifications in one request (at most 1,000). */
  public List<UUID> notifications(int n) {
    JsonArray recipients = new JsonArray();
    for (int i = 0; i < n; i++) {
      recipients.add("bulk-user-" + (++users) + "-" + i);
    }
    HttpResponse<Buffer> r = gw.post("/v1/notifications", TestGateway.INGEST_KEY,
        new JsonObject().put("recipients", recipients).put("title", "Seeded"));
    if (r.statusCode() != 202) {
      throw new AssertionError("ingest answered " + r.statusCode() + ": " + r.bodyAsString());
    }
    List<UUID> ids = new ArrayList<>();
    r.bodyAsJsonObject().getJsonArray("ids").forEach(id -> ids.add(UUID.fromString((String) id)));
    return ids;
  }

  /** Inserts a delivery (for a new notification unless the caller names one) and returns it. */
  public D delivery(Consumer<D> setup) {
    D d = new D();
    setup.accept(d);
    if (d.notificationId == null) {
      d.notificationId = notification();
    }
    insert(d);
    return d;
  }

  public void insert(D d) {
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO deliveries (id, notification_id, channel, destination, status, reason, "
            + "priority, attempts, max_attempts, next_attempt_at, lease_until, lease_owner, last_error, last_error_class, "
            + "last_http_status, provider_message_id, expires_at, created_at, updated_at, sent_at, due_since) "
            + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)")
        .execute(Tuple.tuple().addValue(d.id).addValue(d.notificationId).addValue(d.channel).addValue(d.destination)
            .addValue(d.status).addValue(d.reason).addValue((short) d.priority).addValue(d.attempts).addValue(d.maxAttempts)
            .addValue(d.nextAttemptAt).addValue(d.leaseUntil).addValue(d.leaseOwner).addValue(d.lastError)
            .addValue(d.lastErrorClass).addValue(d.lastHttpStatus).addValue(d.providerMessageId).addValue(d.expiresAt)
            .addValue(d.createdAt).addValue(d.updatedAt).addValue(d.sentAt).addValue(dueSince(d))));
  }

  private static OffsetDateTime dueSince(D d) {
    if (d.dueSince != null || !List.of("pending", "failed").contains(d.status)) {
      return d.dueSince;
    }
    return d.attempts == 0 ? d.createdAt : d.nextAttemptAt;
  }

  /** An attempt row for a delivery. */
  public void attempt(UUID deliveryId, int attempt, OffsetDateTime startedAt, Integer durationMs, String outcome, String errorClass,
                      String error, Integer httpStatus) {
    TestGateway.await(gw.sql().preparedQuery("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, duration_ms, outcome, "
            + "error_class, error, http_status, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'test-node')")
        .execute(Tuple.tuple().addValue(deliveryId).addValue(attempt).addValue(startedAt).addValue(durationMs).addValue(outcome)
            .addValue(errorClass).addValue(error).addValue(httpStatus)));
  }

  /** The stored row of a delivery, plus {@code wait_seconds}: how long until it is due. */
  public Row row(UUID id) {
    var rows = TestGateway.await(gw.sql().preparedQuery("SELECT *, extract(epoch FROM next_attempt_at - now())::float8 AS wait_seconds "
        + "FROM deliveries WHERE id = $1").execute(Tuple.of(id)));
    if (rows.size() != 1) {
      throw new AssertionError("no delivery " + id);
    }
    return rows.iterator().next();
  }

  public String status(UUID id) {
    return row(id).getString("status");
  }

  /** Removes every delivery (and attempt): each test starts from an empty dead letter. */
  public void clear() {
    gw.query("DELETE FROM deliveries");
  }
}
