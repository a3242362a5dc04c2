package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.ErrorClassifier;
import io.herald.delivery.Failure;
import io.herald.delivery.ProviderClient;
import io.herald.delivery.Sender;
import io.herald.delivery.Senders;
import io.herald.store.Alert;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
 * route, so it never travels only through the channel that is failing; a route whose provider is
 * the channel's (SMS and WhatsApp on one Twilio account, or HTTP providers on one host) counts as
 * that channel.
 */
public final class AlertRoutes {
  private static final Logger log = LoggerFactory.getLogger(AlertRoutes.class);
  public static final List<String> ROUTES = List.of("email", "sms", "whatsapp", "webhook");

  private final HeraldConfig.Alerts config;
  private final Map<String, HeraldConfig.Channel> channels;
  private final Map<String, Sender> senders = new LinkedHashMap<>();
  private final ProviderClient webhook;
  private final Clock clock;

  /** Opens a sender for each route that has recipients (their channels are enabled: the configuration checks it). */
  public AlertRoutes(Vertx vertx, HeraldConfig config, Clock clock) {
    this.config = config.alerts();
    this.channels = config.channels();
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
   * critical; all configured routes when one of those counts as a channel the alert is about (see
   * {@link #sameAs}).
   */
  public List<String> routesFor(Alert alert) {
    return routesFor(alert.severity(), HealthRules.channelsOf(alert));
  }

  List<String> routesFor(String severity, List<String> about) {
    List<String> usual = configured().stream().filter(r -> severity.equals("critical") || r.equals("email") || r.equals("webhook"))
        .toList();
    return usual.stream().anyMatch(r -> about.stream().anyMatch(ch -> sameAs(r, ch))) ? configured() : usual;
  }

  /**
   * Whether admin route {@code route} goes through channel {@code channel} or its provider: the
   * channel itself (the webhook route counts as the webhook channel's: both are Herald's outbound
   * HTTP), or SMS and WhatsApp with one provider (the same Twilio base URL and account, or HTTP
   * providers on the same host), which refuses both when it refuses one.
   */
  public boolean sameAs(String route, String channel) {
    if (route.equals(channel)) {
      return true;
    }
    String a = provider(route);
    return a != null && a.equals(provider(channel));
  }

  /** Whether every route of a non-empty list goes through a channel the alert is about: admins may not hear of it. */
  public boolean onlyThroughFailing(Alert alert, List<String> routes) {
    List<String> about = HealthRules.channelsOf(alert);
    return !routes.isEmpty() && routes.stream().allMatch(r -> about.stream().anyMatch(ch -> sameAs(r, ch)));
  }

  /**
   * Warns, once at start-up, of each enabled channel whose critical alerts would only go through
   * that channel or its provider. Names channels and routes only: never an account or a URL.
   */
  public void warnOfSharedProviders() {
    if (configured().isEmpty()) {
      return;
    }
    for (HeraldConfig.Channel ch : channels.values()) {
      List<String> by = ch.enabled() ? routesFor("critical", List.of(ch.name())) : List.of();
      if (!by.isEmpty() && by.stream().allMatch(r -> sameAs(r, ch.name()))) {
        log.atWarn().addKeyValue("channel", ch.name()).log("alerts about the {} channel can only reach admins by {}, which {} through "
            + "the {} provider itself: when it refuses or fails, admins may not hear of it; add alerts.email or alerts.webhook",
            ch.name(), String.join(" and ", by), by.size() == 1 ? "goes" : "go", ch.name());
      }
    }
  }

  /** Who provides a channel: the Twilio base URL and account, or an HTTP provider's host; null for the others. */
  private String provider(String channel) {
    HeraldConfig.Channel ch = channels.get(channel);
    HeraldConfig.Provider p = ch == null || !ch.enabled() ? null : ch.provider();
    if (p == null) {
      return null;
    }
    if (p.kind().equals("twilio")) {
      return p.baseUrl() == null || p.accountSid() == null ? null
          : "twilio " + p.baseUrl().replaceAll("/+$", "").toLowerCase(Locale.ROOT) + " " + p.accountSid();
    }
    try {
      String host = p.url() == null ? null : URI.create(p.url()).getHost();
      return host == null ? null : "http " + host.toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * Sends {@code notices} (one check's), each by its routes, as one message per route and
   * recipient telling of every notice that goes by that route. Never fails: answers, for each
   * notice in order, one entry per recipient of each of its routes ({@code at, event, route, to,
   * ok}, {@code alerts} when the message told of several, and when it failed {@code errorClass},
   * {@code error}), for the alert's record.
   */
  public Future<List<JsonArray>> send(List<AlertNotice> notices) {
    Map<String, List<AlertNotice>> byRoute = new LinkedHashMap<>();
    List<List<String>> routes = new ArrayList<>();
    for (AlertNotice n : notices) {
      List<String> by = routesFor(n.alert());
      routes.add(by);
      by.forEach(r -> byRoute.computeIfAbsent(r, k -> new ArrayList<>()).add(n));
    }
    Map<String, Future<List<JsonObject>>> sent = new LinkedHashMap<>();
    byRoute.forEach((route, told) -> sent.put(route, send(new AlertNotice.Batch(told), route)));
    return Future.join(new ArrayList<>(sent.values())).transform(done -> {
      List<JsonArray> out = new ArrayList<>();
      for (int i = 0; i < notices.size(); i++) {
        JsonArray entries = new JsonArray();
        for (String route : routes.get(i)) {
          int size = byRoute.get(route).size();
          for (JsonObject e : sent.get(route).result()) {
            JsonObject entry = e.copy().put("event", notices.get(i).kind().label());
            entries.add(size > 1 ? entry.put("alerts", size) : entry);
          }
        }
        out.add(entries);
      }
      return Future.succeededFuture(out);
    });
  }

  /** Sends one message by {@code route}, to each of its recipients separately; never fails. */
  private Future<List<JsonObject>> send(AlertNotice.Batch batch, String route) {
    List<Future<JsonObject>> sends = new ArrayList<>();
    if (route.equals("webhook")) {
      if (webhook != null) {
        sends.add(outcome(batch, route, null, webhook.exchange(webhook.request(HttpMethod.POST, config.webhook())
            .putHeader("Content-Type", "application/json").sendBuffer(batch.webhookBody().toBuffer())).mapEmpty()));
      }
    } else {
      Sender sender = senders.get(route);
      for (String to : sender == null ? List.<String>of() : recipients(route)) {
        Future<String> sent;
        try {
          sent = sender.send(job(batch, route, to));
        } catch (RuntimeException e) {
          sent = Future.failedFuture(e);
        }
        sends.add(outcome(batch, route, to, sent.mapEmpty()));
      }
    }
    return Future.join(sends).transform(done -> Future.succeededFuture(sends.stream().map(Future::result).toList()));
  }

  private Future<JsonObject> outcome(AlertNotice.Batch batch, String route, String to, Future<Void> sent) {
    JsonObject entry = new JsonObject().put("at", Notification.iso(OffsetDateTime.ofInstant(batch.first().at(), ZoneOffset.UTC)))
        .put("route", route).put("to", to);
    return sent.map(v -> entry.put("ok", true)).otherwise(err -> {
      Failure f = ErrorClassifier.classify(err, clock);
      // the provider's text may quote the address: it goes to the alert's record, not to the log
      var line = batch.single() ? log.atWarn().addKeyValue("alert_id", batch.first().alert().id())
          : log.atWarn().addKeyValue("alerts", batch.notices().size());
      line.addKeyValue("route", route)
          .addKeyValue("error_class", f.errorClass().label()).addKeyValue("http_status", f.httpStatus())
          .log("could not tell an admin of {} by {}", (batch.single() ? "alert " : "alerts ") + batch.rules(), route);
      return entry.put("ok", false).put("errorClass", f.errorClass().label()).put("error", f.message());
    });
  }

  /** A one-off job for a channel's sender, its texts given as rendered parts (subject and text; SMS text). */
  private static DeliveryJob job(AlertNotice.Batch batch, String route, String to) {
    boolean mail = route.equals("email");
    // an http provider's template may use {{title}} and {{body}} together: the one line is the body
    String title = mail ? batch.subject() : "Herald alert";
    Notification n = new Notification(Ids.next(), "herald-admin", 0, title, mail ? batch.text() : null,
        batch.critical() ? "error" : "warning", "herald-alert", null, null, null, "critical", List.of(route), null, null,
        OffsetDateTime.ofInstant(batch.first().at(), ZoneOffset.UTC), null, null, null);
    JsonObject parts = mail ? new JsonObject().put("subject", batch.subject()).put("text", batch.text())
        : new JsonObject().put("text", batch.oneLine());
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

  /** The longest one send by a configured route may take: its channel's timeout. */
  public int longestSendSeconds() {
    int longest = 0;
    for (String route : configured()) {
      HeraldConfig.Channel ch = channels.get(route);
      if (ch == null) {
        continue;
      }
      int seconds = ch.email() != null ? ch.email().timeoutSeconds() : ch.provider() != null ? ch.provider().timeoutSeconds()
          : ch.webhook() != null ? ch.webhook().timeoutSeconds() : 0;
      longest = Math.max(longest, seconds);
    }
    return longest;
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
