package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench fanout}: {@code users} sockets (one per user) receive while multi-recipient
 * notifications (batches of {@code batch} of those users) are ingested in a closed loop.
 * Deliveries/s is the median of per-second counts of {@code notification} frames over all
 * sockets. {@code role} splits the two sides over processes: {@code receive} only holds sockets
 * and counts (from the first frame it sees), {@code send} only ingests.
 */
public final class FanoutBench {
  public enum Role { RECEIVE, SEND, BOTH }

  public record Params(Target target, Role role, int users, int firstUser, List<String> sources, int batch, int concurrency,
                       Duration duration, Duration warmup, String prefix, int connectConcurrency, Duration welcomeTimeout,
                       String readyFile) {
    public Params {
      if (batch < 1 || batch > 1000 || batch > users) {
        throw new IllegalArgumentException("--batch must be 1 to 1000 and at most --users");
      }
    }

    JsonObject toJson() {
      return new JsonObject().put("url", "http://" + target.host() + ":" + target.port()).put("role", role.name().toLowerCase())
          .put("users", users).put("first_user", firstUser).put("sources", new JsonArray(sources)).put("batch", batch)
          .put("concurrency", concurrency).put("duration_s", duration.toMillis() / 1000.0).put("warmup_s", warmup.toMillis() / 1000.0);
    }
  }

  /** What the receiving side counted. */
  static final class Counts {
    final RateSampler notifications;
    final LongAdder unread = new LongAdder();
    final Tally other = new Tally();

    Counts(RateSampler notifications) {
      this.notifications = notifications;
    }

    void frame(String text) {
      String type = SocketFleet.type(text);
      if (type.equals("notification")) {
        notifications.add(1);
      } else if (type.equals("unread")) {
        unread.increment();
      } else {
        other.add(type);
      }
    }
  }

  private FanoutBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    Counts counts = new Counts(new RateSampler(loops.vertx()));
    SocketFleet fleet = p.role() == Role.SEND ? null
        : new SocketFleet(loops, p.target(), p.sources(), p.users(), p.connectConcurrency(), p.welcomeTimeout(), counts::frame);
    Report report = new Report("fanout", p.toJson())
        .text("target", null, "http://" + p.target().host() + ":" + p.target().port())
        .text("role", null, p.role().name().toLowerCase() + ", users " + p.prefix() + p.firstUser() + ".." + p.prefix()
            + (p.firstUser() + p.users() - 1) + (p.role() == Role.RECEIVE ? "" : ", batches of " + p.batch()));
    Future<Void> connected = fleet == null ? Future.succeededFuture() : connect(loops, p, fleet, report);
    return connected.compose(v -> switch (p.role()) {
      case SEND -> send(loops, p, null, report);
      case BOTH -> send(loops, p, counts, report);
      case RECEIVE -> FanoutReceiver.receive(loops, p, counts, report);
    }).compose(r -> fleet == null ? Future.succeededFuture(r) : fleet.closeAll().map(r));
  }

  private static Future<Void> connect(Loops loops, Params p, SocketFleet fleet, Report report) {
    Progress.say("fanout: opening " + p.users() + " sockets (users " + p.prefix() + p.firstUser() + "..)");
    Progress progress = Progress.every(loops.vertx(), 5, "connect", () -> fleet.openCount() + " open, " + fleet.failures().total() + " failed");
    long start = System.nanoTime();
    return fleet.open(SocketFleet.users(p.prefix(), p.firstUser(), p.users(), 1)).compose(v -> {
      progress.stop();
      report.value("sockets open", "sockets_open", fleet.openCount(), "")
          .value("sockets failed", "sockets_failed", fleet.failures().total(), "")
          .tally("socket failures", "socket_failures", fleet.failures())
          .value("time to connect", "connect_s", (System.nanoTime() - start) / 1e9, "s");
      Progress.say("fanout: " + fleet.openCount() + " sockets open, " + fleet.failures().total() + " failed");
      if (fleet.openCount() == 0) {
        return Future.failedFuture("no socket could be opened: " + fleet.failures().snapshot());
      }
      return ConnectionsBench.ready(loops, p.readyFile(), fleet.openCount());
    });
  }

  /** The closed-loop sender; with {@code counts}, also samples deliveries over the same measured window. */
  private static Future<Report> send(Loops loops, Params p, Counts counts, Report report) {
    IngestClient client = new IngestClient(loops.vertx(), p.target(), p.concurrency());
    ClosedLoop loop = new ClosedLoop(loops, client, p.concurrency(), n -> body(p, n), p.batch());
    Progress.say("fanout: ingesting batches of " + p.batch() + " at concurrency " + p.concurrency() + " for " + p.duration().toSeconds() + " s");
    Progress progress;
    if (counts != null) {
      RateSampler sampler = counts.notifications;
      sampler.start();
      loop.onMeasured(() -> sampler.measuring(true), () -> sampler.measuring(false));
      progress = Progress.every(loops.vertx(), 5, "fanout", () -> String.format("%.0f deliveries/s (last second), %d received",
          sampler.latest(), sampler.total()));
    } else {
      progress = Progress.every(loops.vertx(), 5, "send", () -> loop.current().ok.sum() + " requests ok in this phase");
    }
    return loop.run(p.warmup(), p.duration()).compose(w -> {
      progress.stop();
      report.value("ingest requests/s", "ingest_requests_per_s", w.ok.sum() / w.seconds(), "")
          .value("notifications ingested/s", "ingest_notifications_per_s", w.rows.sum() / w.seconds(), "")
          .latency("ingest response time", "ingest_response_ms", w.latency)
          .tally("ingest failures", "ingest_failures", w.failures);
      if (counts == null) {
        return Future.succeededFuture(report);
      }
      // frames for the last acknowledged requests are still on their way: give them a moment
      Promise<Report> done = Promise.promise();
      loops.vertx().setTimer(3000, id -> {
        counts.notifications.stop();
        FanoutReceiver.deliveries(report, counts, counts.notifications.samples());
        report.value("notifications acknowledged (whole run)", "expected_deliveries", loop.rowsTotal(), "")
            .value("missing deliveries", "missing_deliveries", Math.max(0, loop.rowsTotal() - counts.notifications.total()), "");
        done.complete(report);
      });
      return done.future().eventually(client::close);
    });
  }

  static Buffer body(Params p, long n) {
    List<String> recipients = new ArrayList<>(p.batch());
    long first = n * p.batch();
    for (int i = 0; i < p.batch(); i++) {
      recipients.add(p.prefix() + (p.firstUser() + (first + i) % p.users()));
    }
    return IngestClient.multi(recipients, new JsonObject().put("seq", n));
  }
}
