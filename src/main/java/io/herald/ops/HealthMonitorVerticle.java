package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.store.Alert;
import io.herald.store.AlertStore;
import io.herald.store.AlertStore.Finding;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health monitor: every {@code alerts.checkIntervalSeconds}, on the one node that holds the
 * {@code health} {@link JobLease}, judges each external channel by the {@link HealthRules}. A
 * condition found opens its alert (or refreshes the active one); one no longer found resolves it.
 * Admins hear of an alert when it opens, again only once {@code alerts.cooldownMinutes} have passed
 * since they last heard of that rule on that channel (so an alert that flaps is not announced
 * again within the cooldown), and when it is resolved if they had heard of it. A notice no route
 * could deliver is tried again at the next check.
 */
public final class HealthMonitorVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HealthMonitorVerticle.class);
  /** How long a resolution notice that could not be sent is tried again. */
  static final Duration RESOLUTION_RETRY = Duration.ofHours(24);

  private final HeraldConfig config;
  private final HeraldConfig.Alerts alerts;
  private final AlertStore store;
  private final JobLease lease;
  private final String node;
  private final Clock clock;
  private final HealthRules rules;
  private AlertRoutes routes;
  /** The check in progress or the last one: checks run one after another. */
  private Future<Boolean> last = Future.succeededFuture(false);
  private boolean busy;
  private boolean failing;
  private long timer = -1;

  public HealthMonitorVerticle(HeraldConfig config, AlertStore store, JobLease lease, String node, Clock clock) {
    this.config = config;
    this.alerts = config.alerts();
    this.store = store;
    this.lease = lease;
    this.node = node;
    this.clock = clock;
    this.rules = new HealthRules(alerts);
  }

  @Override
  public Future<?> start() {
    routes = new AlertRoutes(vertx, config, clock);
    if (routes.configured().isEmpty()) {
      // the default: worth a line, not a warning; each alert that opens is logged as a warning anyway
      log.info("no admin is told of alerts: set alerts.email, alerts.sms, alerts.whatsapp or alerts.webhook (alerts are still "
          + "listed by GET /v1/alerts)");
    }
    lease.start(vertx);
    timer = vertx.setPeriodic(alerts.checkIntervalSeconds() * 1000L, id -> periodic());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return lease.release().eventually(() -> routes.close());
  }

  private void periodic() {
    if (busy) {
      return; // a slow check is still running: skip this turn rather than queue behind it
    }
    busy = true;
    check().onComplete(result -> {
      busy = false;
      if (result.failed() && !failing) {
        failing = true;
        log.warn("health check failed, trying again every {} s: {}", alerts.checkIntervalSeconds(), result.cause().getMessage());
      } else if (result.succeeded() && failing) {
        failing = false;
        log.info("health checks are running again");
      }
    });
  }

  /** One check now. */
  public Future<Boolean> check() {
    return check(clock.instant());
  }

  /**
   * One check as of {@code now}, after any check in progress (tests choose the time). Answers
   * whether it ran: false on a node that does not hold the {@code health} lease.
   */
  public Future<Boolean> check(Instant now) {
    Promise<Boolean> done = Promise.promise();
    context.runOnContext(v -> {
      last = last.transform(previous -> run(now));
      last.onComplete(done);
    });
    return done.future();
  }

  private Future<Boolean> run(Instant now) {
    if (!lease.held()) {
      return Future.succeededFuture(false);
    }
    return store.health(now, Duration.ofMinutes(alerts.backlogMinutes())).compose(figures -> {
      List<Finding> findings = rules.evaluate(figures, now);
      return each(findings, f -> store.raise(f, now).compose(alert -> found(alert, now)))
          .compose(v -> store.resolveAllBut(findings.stream().map(Finding::key).toList(), now))
          .map(resolved -> {
            resolved.forEach(a -> log.atInfo().addKeyValue("alert_id", a.id()).addKeyValue("rule", a.rule())
                .addKeyValue("channel", a.channel()).log("alert resolved: {}", a.title()));
            return null;
          });
    }).compose(v -> store.untoldResolutions(now.minus(RESOLUTION_RETRY)))
        .compose(resolved -> each(resolved, a -> tell(a, AlertNotice.Kind.RESOLVED, now)))
        .map(true);
  }

  /** An alert whose condition holds: announced when new, reminded after the cooldown, else left alone. */
  private Future<Void> found(Alert alert, Instant now) {
    if (alert.opened()) {
      log.atWarn().addKeyValue("alert_id", alert.id()).addKeyValue("rule", alert.rule()).addKeyValue("channel", alert.channel())
          .addKeyValue("severity", alert.severity()).log("{} alert opened: {}", alert.severity(), alert.title());
      warnIfUnheard(alert);
    }
    Duration cooldown = Duration.ofMinutes(alerts.cooldownMinutes());
    if (alert.lastTold() != null && now.isBefore(alert.lastTold().toInstant().plus(cooldown))) {
      return Future.succeededFuture();
    }
    return tell(alert, alert.notifiedAt() == null ? AlertNotice.Kind.OPENED : AlertNotice.Kind.REMINDER, now);
  }

  private void warnIfUnheard(Alert alert) {
    List<String> by = routes.routesFor(alert.severity(), alert.channel());
    if (by.isEmpty() && !routes.configured().isEmpty()) {
      log.atWarn().addKeyValue("alert_id", alert.id()).log("no admin route takes {} alerts (SMS and WhatsApp take critical ones "
          + "only): set alerts.email or alerts.webhook", alert.severity());
    } else if (by.equals(List.of(alert.channel()))) {
      log.atWarn().addKeyValue("alert_id", alert.id()).log("the {} channel this alert is about is the only admin route configured: "
          + "admins may not hear of it; add another route to alerts", alert.channel());
    }
  }

  /** Tells the admins by the alert's routes and records it; counted as told only if some route delivered. */
  private Future<Void> tell(Alert alert, AlertNotice.Kind kind, Instant now) {
    List<String> by = routes.routesFor(alert.severity(), alert.channel());
    if (by.isEmpty()) {
      return Future.succeededFuture();
    }
    return routes.send(new AlertNotice(alert, kind, node, now), by).compose(sent -> {
      boolean told = told(sent);
      if (!told) {
        log.atWarn().addKeyValue("alert_id", alert.id()).log("no admin route delivered the {} notice of {} alert {}; trying again at "
            + "the next check", kind.label(), alert.severity(), alert.rule());
      }
      return store.record(alert.id(), told ? now : null, sent);
    });
  }

  private static boolean told(JsonArray sent) {
    for (int i = 0; i < sent.size(); i++) {
      if (sent.getJsonObject(i).getBoolean("ok", false)) {
        return true;
      }
    }
    return false;
  }

  /** Runs {@code step} on each item, one after the other. */
  private static <T> Future<Void> each(List<T> items, Function<T, Future<Void>> step) {
    Future<Void> chain = Future.succeededFuture();
    for (T item : items) {
      chain = chain.compose(v -> step.apply(item));
    }
    return chain;
  }
}
