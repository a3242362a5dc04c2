package io.herald.delivery.webhook;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.ProviderClient;
import io.herald.delivery.Sender;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Posts each notification to the configured URL, signed the Standard Webhooks way: the body is
 * {@code {"type":"notification","timestamp":...,"data":<notification>}}, and the headers
 * {@code webhook-id} (the delivery id, the same on every retry so receivers can de-duplicate),
 * {@code webhook-timestamp} (unix seconds of this attempt) and {@code webhook-signature}
 * ({@code v1,} + base64 HMAC-SHA256 over {@code id.timestamp.body} with the decoded secret). The
 * bytes signed are the bytes sent. Redirects are not followed; the provider message id is null.
 */
public final class WebhookSender implements Sender {
  private final String url;
  private final byte[] key;
  private final Clock clock;
  private final ProviderClient http;

  public WebhookSender(Vertx vertx, HeraldConfig.Channel channel, Clock clock) {
    HeraldConfig.Webhook webhook = channel.webhook();
    if (webhook.url() == null || webhook.key() == null) {
      throw new IllegalArgumentException("channels.webhook.url and channels.webhook.secret are required for the webhook channel");
    }
    this.url = webhook.url();
    this.key = webhook.key().clone();
    this.clock = clock;
    this.http = new ProviderClient(vertx, channel.concurrency(), webhook.timeoutSeconds());
  }

  public WebhookSender(Vertx vertx, HeraldConfig.Channel channel) {
    this(vertx, channel, Clock.systemUTC());
  }

  @Override
  public Future<String> send(DeliveryJob job) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
    String id = job.id().toString();
    String timestamp = Long.toString(now.getEpochSecond());
    Buffer body = body(job.notification(), now);
    return http.exchange(http.request(HttpMethod.POST, url)
            .putHeader("Content-Type", "application/json")
            .putHeader("webhook-id", id)
            .putHeader("webhook-timestamp", timestamp)
            .putHeader("webhook-signature", signature(key, id, timestamp, body))
            .sendBuffer(body))
        .map((String) null);
  }

  @Override
  public Future<Void> close() {
    return http.close();
  }

  static Buffer body(Notification notification, Instant at) {
    return new JsonObject()
        .put("type", "notification")
        .put("timestamp", Notification.iso(OffsetDateTime.ofInstant(at, ZoneOffset.UTC)))
        .put("data", notification.toJson())
        .toBuffer();
  }

  /** {@code v1,} + base64(HMAC-SHA256(key, id + "." + timestamp + "." + body)). */
  static String signature(byte[] key, String id, String timestamp, Buffer body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestamp + ".").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      mac.update(body.getBytes());
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 unavailable", e); // every JDK has it
    }
  }
}
