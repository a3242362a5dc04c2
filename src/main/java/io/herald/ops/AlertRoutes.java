package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.ErrorClassifier;
import io.herald.delivery.Failure;
import io.herald.delivery.ProviderClient;
import io.herald.delivery.Sender;
import io.herald.delivery.Senders;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes by which admins hear of alerts: {@code email} (to {@code alerts.email}, every alert),
 * {@code sms} and {@code whatsapp} (to {@code alerts.sms} / {@code alerts.whatsapp}, critical
 * alerts) and {@code webhook} (a Slack-compatible POST to {@code alerts.webhook}, every alert).
 * E-mail, SMS and WhatsApp go straight through the channels' own {@link Sender}s with their
 * provider settings, never through the deliveries queue: an alert about a stuck queue must not
 * wait in it. An alert about a channel that is one of its own routes goes by every configured
 * route, so it never travels only through the channel that is failing.
 */
public final class AlertRoutes {
  private static final Logger log = LoggerFactory.getLogger(AlertRoutes.class);
  public static final List<String> ROUTES = List.of("email", "sms", "whatsapp", "webhook");

  private final HeraldConfig.Alerts config;
  private final Map<String, Sender> senders = new LinkedHashMap<>();
  private final ProviderClient webhook;
  private final Clock clock;

  /** Opens a sender for each route that has recipients (their channels are enabled: the configuration checks it). */
  public AlertRoutes(Vertx vertx, HeraldConfig config, Clock clock) {
    this.config = config.alerts();
    this.clock = clock;
    for (String route : List.of("email", "sms", "whatsapp")) {
      if (!recipients(route).isEmpty()) {
        senders.put(route, Senders.create(vertx, config.channels().get(route)));
      }
    }
    this.webhook = this.config.webhook() == null ? null
        : new ProviderClient(vertx, 2, config.channels().get("webhook").webhook().timeoutSeconds());
  }

  /** The routes that have somewhere to send to, in a fixed order. */
  public List<String> configured() {
    return ROUTES.stream().filter(r -> r.equals("webhook") ? config.webhook() != null : !recipients(r).isEmpty()).toList();
  }

  /**
   * The routes an alert goes by: e-mail and the webhook always, SMS and WhatsApp when it is
   * critical; all configured routes when the alert is about one of those (the webhook route
   * counts as the webhook channel's: both are Herald's outbound HTTP).
   */
  public List<String> routesFor(String severity, String channel) {
    List<String> usual = configured().stream().filter(r -> severity.equals("critical") || r.equals("email") || r.equals("webhook"))
        .toList();
    return usual.contains(channel) ? configured() : usual;
  }

  /**
   * Sends {@code notice} by {@code routes}, to each recipient separately. Never fails: answers one
   * entry per recipient ({@code at, event, route, to, ok} and, when it failed, {@code errorClass},
   * {@code error}), for the alert's record.
   */
  public Future<JsonArray> send(AlertNotice notice, List<String> routes) {
    List<Future<JsonObject>> sends = new ArrayList<>();
    for (String route : routes) {
      if (route.equals("webhook")) {
        if (webhook != null) {
          sends.add(outcome(notice, route, null, webhook.exchange(webhook.request(HttpMethod.POST, config.webhook())
              .putHeader("Content-Type", "application/json").sendBuffer(notice.webhookBody().toBuffer())).mapEmpty()));
        }
        continue;
      }
      Sender sender = senders.get(route);
      for (String to : sender == null ? List.<String>of() : recipients(route)) {
        Future<String> sent;
        try {
          sent = sender.send(job(notice, route, to));
        } catch (RuntimeException e) {
          sent = Future.failedFuture(e);
        }
        sends.add(outcome(notice, route, to, sent.mapEmpty()));
      }
    }
    return Future.join(sends).transform(done -> {
      JsonArray entries = new JsonArray();
      sends.forEach(f -> entries.add(f.result()));
      return Future.succeededFuture(entries);
    });
  }

  private Future<JsonObject> outcome(AlertNotice notice, String route, String to, Future<Void> sent) {
    JsonObject entry = new JsonObject().put("at", Notification.iso(OffsetDateTime.ofInstant(notice.at(), ZoneOffset.UTC)))
        .put("event", notice.kind().label()).put("route", route).put("to", to);
    return sent.map(v -> entry.put("ok", true)).otherwise(err -> {
      Failure f = ErrorClassifier.classify(err, clock);
      // the provider's text may quote the address: it goes to the alert's record, not to the log
      log.atWarn().addKeyValue("alert_id", notice.alert().id()).addKeyValue("route", route)
          .addKeyValue("error_class", f.errorClass().label()).addKeyValue("http_status", f.httpStatus())
          .log("could not tell an admin of alert {} by {}", notice.alert().rule(), route);
      return entry.put("ok", false).put("errorClass", f.errorClass().label()).put("error", f.message());
    });
  }

  /** A one-off job for a channel's sender, its texts given as rendered parts (subject and text; SMS text). */
  private static DeliveryJob job(AlertNotice notice, String route, String to) {
    boolean mail = route.equals("email");
    // an http provider's template may use {{title}} and {{body}} together: the one line is the body
    String title = mail ? notice.subject() : "Herald alert";
    Notification n = new Notification(Ids.next(), "herald-admin", 0, title, mail ? notice.text() : null,
        notice.alert().critical() ? "error" : "warning", "herald-alert", null, null, null, "critical", List.of(route), null, null,
        OffsetDateTime.ofInstant(notice.at(), ZoneOffset.UTC), null, null, null);
    JsonObject parts = mail ? new JsonObject().put("subject", notice.subject()).put("text", notice.text())
        : new JsonObject().put("text", notice.oneLine());
    return new DeliveryJob(n.id(), route, to, 1, 1, n, parts);
  }

  private List<String> recipients(String route) {
    return switch (route) {
      case "email" -> config.email();
      case "sms" -> config.sms();
      case "whatsapp" -> config.whatsapp();
      default -> List.of();
    };
  }

  public Future<Void> close() {
    List<Future<Void>> closing = new ArrayList<>();
    senders.values().forEach(s -> closing.add(s.close()));
    if (webhook != null) {
      closing.add(webhook.close());
    }
    return Future.join(closing).mapEmpty();
  }
}
