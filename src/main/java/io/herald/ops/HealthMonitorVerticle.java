package io.herald.ops;

import io.herald.config.HeraldConfig;
import io.herald.store.Alert;
import io.herald.store.AlertStore;
import io.herald.store.AlertStore.Finding;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The health monitor: every {@code alerts.checkIntervalSeconds}, on the one node that holds the
 * {@code health} {@link JobLease}, judges each external channel (and all of them together) by the
 * {@link HealthRules}. A condition found opens its alert (or refreshes the active one); one no
 * longer found resolves it. Admins hear of an alert when it opens, again only once {@code
 * alerts.cooldownMinutes} have passed since they last heard of that rule on that channel (so an
 * alert that flaps is not announced again within the cooldown), and when it is resolved if they had
 * heard of it. What one check has to tell goes as one message per route and recipient. Each notice
 * is reserved in the database before it is sent, so two nodes that both believe they hold the lease
 * never both send it; {@code notified_at} is only set once a route delivered it. A notice no route
 * could deliver, or whose check failed, is given back and tried again at the next check; a
 * reservation left by a check that died expires after {@link #reservationExpiry()}. So each notice
 * is sent at least once (a resolution while it is less than {@link #RESOLUTION_RETRY} old), and
 * possibly twice when a node dies between a provider's acceptance and the record. Each check logs
 * one line of what it did.
 */
public final class HealthMonitorVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HealthMonitorVerticle.class);
  /** How long a resolution notice that could not be sent is tried again. */
  static final Duration RESOLUTION_RETRY = Duration.ofHours(24);
  /** How much longer than the slowest route's timeout a stop waits for the check in progress. */
  static final int STOP_MARGIN_SECONDS = 10;
  /** How much longer than the slowest route's timeout a notice's reservation stands (see {@link #reservationExpiry()}). */
  static final int RESERVATION_MARGIN_SECONDS = 60;

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
  private volatile boolean stopping;
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
    routes.warnOfSharedProviders();
    lease.start(vertx);
    timer = vertx.setPeriodic(alerts.checkIntervalSeconds() * 1000L, id -> periodic());
    return Future.succeededFuture();
  }

  /**
   * Lets the check in progress finish (at most the slowest route's timeout and a margin), so what
   * it sends is recorded as sent, then gives up the lease, then closes the routes.
   */
  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(timer);
    Future<Boolean> running = last;
    int bound = routes.longestSendSeconds() + STOP_MARGIN_SECONDS;
    return running.timeout(bound, TimeUnit.SECONDS).transform(done -> {
      if (!running.isComplete()) {
        log.warn("stopping without the health check in progress, still running after {} s", bound);
      }
      return lease.release();
    }).eventually(() -> routes.close());
  }

  /** Whether {@link #stop()} has begun: no check starts any more. */
  boolean stopping() {
    return stopping;
  }

  private void periodic() {
    if (busy || stopping) {
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
   * whether it ran: false on a node that does not hold the {@code health} lease, or is stopping.
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
    if (stopping || !lease.held()) {
      return Future.succeededFuture(false);
    }
    Tally tally = new Tally();
    List<AlertNotice> notices = new ArrayList<>();
    return store.health(now, Duration.ofMinutes(alerts.backlogMinutes())).compose(figures -> {
      List<Finding> findings = rules.evaluate(figures, now);
      tally.open = findings.size();
      return each(findings, f -> store.raise(f, now).map(alert -> found(alert, now, notices, tally)))
          .compose(v -> store.resolveAllBut(findings.stream().map(Finding::key).toList(), now))
          .map(resolved -> {
            tally.resolved = resolved.size();
            resolved.forEach(a -> log.atInfo().addKeyValue("alert_id", a.id()).addKeyValue("rule", a.rule())
                .addKeyValue("channel", a.channel()).log("alert resolved: {}", a.title()));
            return null;
          });
    }).compose(v -> store.untoldResolutions(now.minus(RESOLUTION_RETRY), now.minus(reservationExpiry())))
        .compose(resolved -> {
          resolved.forEach(a -> notices.add(new AlertNotice(a, AlertNotice.Kind.RESOLVED, node, now)));
          return tell(notices, now, tally);
        })
        .map(v -> {
          tally.log();
          return true;
        });
  }

  /** An alert whose condition holds: to be announced when new, reminded after the cooldown, else left alone. */
  private Void found(Alert alert, Instant now, List<AlertNotice> notices, Tally tally) {
    if (alert.opened()) {
      tally.opened++;
      log.atWarn().addKeyValue("alert_id", alert.id()).addKeyValue("rule", alert.rule()).addKeyValue("channel", alert.channel())
          .addKeyValue("severity", alert.severity()).log("{} alert opened: {}", alert.severity(), alert.title());
      warnIfUnheard(alert);
    }
    Duration cooldown = Duration.ofMinutes(alerts.cooldownMinutes());
    if (alert.lastTold() == null || !now.isBefore(alert.lastTold().toInstant().plus(cooldown))) {
      notices.add(new AlertNotice(alert, alert.notifiedAt() == null ? AlertNotice.Kind.OPENED : AlertNotice.Kind.REMINDER, node, now));
    }
    return null;
  }

  private void warnIfUnheard(Alert alert) {
    List<String> by = routes.routesFor(alert);
    if (by.isEmpty() && !routes.configured().isEmpty()) {
      log.atWarn().addKeyValue("alert_id", alert.id()).log("no admin route takes {} alerts (SMS and WhatsApp take critical ones "
          + "only): set alerts.email or alerts.webhook", alert.severity());
    } else if (alert.channel() != null && by.equals(List.of(alert.channel()))) {
      log.atWarn().addKeyValue("alert_id", alert.id()).log("the {} channel this alert is about is the only admin route configured: "
          + "admins may not hear of it; add another route to alerts", alert.channel());
    } else if (routes.onlyThroughFailing(alert, by)) {
      log.atWarn().addKeyValue("alert_id", alert.id()).log("every admin route for this alert ({}) goes through the provider of the "
          + "channel it is about: admins may not hear of it; add alerts.email or alerts.webhook", String.join(", ", by));
    }
  }

  /**
   * Tells the admins of {@code notices}, those with somewhere to go and that this check could
   * reserve, in one message per route and recipient, and records each; a notice counts as told
   * only if some route delivered it. When a step fails (a reservation or a record the database
   * refused), every reservation this check still holds is given back and the check fails: the next
   * check takes those notices up again.
   */
  private Future<Void> tell(List<AlertNotice> notices, Instant now, Tally tally) {
    List<AlertNotice> routed = notices.stream().filter(n -> !routes.routesFor(n.alert()).isEmpty()).toList();
    if (routed.isEmpty()) {
      return Future.succeededFuture();
    }
    Instant reservedAfter = now.minus(reservationExpiry());
    List<Future<Boolean>> reserving = routed.stream().map(n -> store.reserve(n.alert(), node, now, reservedAfter)).toList();
    return Future.join(reserving).transform(joined -> {
      if (joined.failed()) {
        // a reservation the database refused may still have been taken: give back all of this check's
        return giveBack(routed, now, joined.cause());
      }
      List<AlertNotice> mine = new ArrayList<>();
      for (int i = 0; i < routed.size(); i++) {
        if (reserving.get(i).result()) {
          mine.add(routed.get(i));
        } else {
          log.atDebug().addKeyValue("alert_id", routed.get(i).alert().id()).log("another check holds or has told this notice");
        }
      }
      if (mine.isEmpty()) {
        return Future.succeededFuture();
      }
      return Future.<Void>succeededFuture().compose(v -> routes.send(mine)).compose(sent -> {
        List<Future<Void>> records = new ArrayList<>();
        for (int i = 0; i < mine.size(); i++) {
          AlertNotice n = mine.get(i);
          boolean told = tally.count(sent.get(i));
          if (!told) {
            log.atWarn().addKeyValue("alert_id", n.alert().id()).log("no admin route delivered the {} notice of {} alert {}; trying "
                + "again at the next check", n.kind().label(), n.alert().severity(), n.alert().rule());
          }
          records.add(store.record(n.alert(), node, now, told, n.kind() == AlertNotice.Kind.RESOLVED, sent.get(i)));
        }
        return Future.join(records).<Void>mapEmpty();
      }).recover(err -> giveBack(mine, now, err));
    });
  }

  /**
   * Gives back the reservations this check still holds on the alerts of {@code notices} (those it
   * recorded are already cleared), then fails with {@code cause}. If that fails too, they expire
   * after {@link #reservationExpiry()}.
   */
  private Future<Void> giveBack(List<AlertNotice> notices, Instant now, Throwable cause) {
    return store.release(notices.stream().map(AlertNotice::alert).toList(), node, now).transform(released -> {
      if (released.failed()) {
        log.warn("could not give back the reservations of {} alert notices: another check takes them up after {} s ({})",
            notices.size(), reservationExpiry().toSeconds(), released.cause().getMessage());
      }
      return Future.failedFuture(cause);
    });
  }

  /**
   * How long a notice's reservation stands: the slowest admin route's timeout (its sends run side by
   * side) and a margin for the database. One older than that belongs to a check that died or lost
   * its database (its node killed, or stopped before it could record): another check, on any node,
   * takes the notice up again.
   */
  Duration reservationExpiry() {
    return Duration.ofSeconds(routes.longestSendSeconds() + RESERVATION_MARGIN_SECONDS);
  }

  /** What one check did, for its log line. */
  private static final class Tally {
    int open;
    int opened;
    int resolved;
    int told;
    int untold;
    final Set<String> messages = new HashSet<>();
    final Set<String> failed = new HashSet<>();

    /** Counts one notice's entries (one per route and recipient; a message told of several notices appears in each); answers whether it was told. */
    boolean count(JsonArray sent) {
      boolean ok = false;
      for (int i = 0; i < sent.size(); i++) {
        JsonObject e = sent.getJsonObject(i);
        String message = e.getString("route") + " " + e.getString("to");
        messages.add(message);
        if (e.getBoolean("ok", false)) {
          ok = true;
        } else {
          failed.add(message);
        }
      }
      if (ok) {
        told++;
      } else {
        untold++;
      }
      return ok;
    }

    void log() {
      boolean news = opened + resolved + told + untold > 0;
      (news ? log.atInfo() : log.atDebug()).addKeyValue("open", open).addKeyValue("opened", opened).addKeyValue("resolved", resolved)
          .addKeyValue("notified", told).addKeyValue("messages", messages.size()).addKeyValue("failed", failed.size())
          .log("health check: open {}, opened {}, resolved {}; notices told {}, not told {}; messages {}, failed {}", open, opened,
              resolved, told, untold, messages.size(), failed.size());
    }
  }

  /** Runs {@code step} on each item, one after the other. */
  private static <T> Future<Void> each(List<T> items, Function<T, Future<?>> step) {
    Future<Void> chain = Future.succeededFuture();
    for (T item : items) {
      chain = chain.compose(v -> step.apply(item).mapEmpty());
    }
    return chain;
  }
}
