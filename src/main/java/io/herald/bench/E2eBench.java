package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench e2e}: a few users hold sockets while single-recipient notifications are ingested
 * at a fixed open-loop rate (a 1 ms timer sends whatever is due, whether or not earlier requests
 * were answered). Each carries {@code data: {"t": send nanoTime, "r": run id}}; the same process
 * receives it, so ingest-call-to-socket latency is {@code nanoTime() - t}. The lag of the timer
 * behind the schedule is reported too, so a stalled sender cannot pass unseen.
 *
 * <p>With several {@code nodes} (a cluster), user {@code i}'s socket is on node {@code i mod N};
 * each notification is ingested on the next node after its recipient's, so every push crosses
 * nodes (through Redis), or, without {@code crossNode}, on the nodes in turn.
 */
public final class E2eBench {
  public record Params(Target target, int rate, Duration duration, Duration warmup, int users, int firstUser, List<String> sources,
                       String prefix, int pool, Duration welcomeTimeout, List<Target> nodes, boolean crossNode) {
    JsonObject toJson() {
      return new JsonObject().put("url", url(target)).put("rate", rate).put("users", users)
          .put("duration_s", duration.toMillis() / 1000.0).put("warmup_s", warmup.toMillis() / 1000.0)
          .put("sources", new JsonArray(sources)).put("pool", pool)
          .put("nodes", new JsonArray(gateways().stream().map(E2eBench::url).toList())).put("cross_node", crossNode && gateways().size() > 1);
    }

    /** The gateway's nodes: {@code nodes}, or the one target. */
    List<Target> gateways() {
      return nodes.isEmpty() ? List.of(target) : nodes;
    }
  }

  static String url(Target t) {
    return "http://" + t.host() + ":" + t.port();
  }

  /** What one run measured; latencies only for notifications sent after the warm-up. */
  static final class Measured {
    final long runId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    final LatencyRecorder e2e = new LatencyRecorder();
    final LatencyRecorder http = new LatencyRecorder();
    final LatencyRecorder lag = new LatencyRecorder();
    final LongAdder sentOk = new LongAdder();
    final LongAdder received = new LongAdder();
    final Tally failures = new Tally();
    final AtomicLong inFlight = new AtomicLong();
    volatile long measureFrom = Long.MAX_VALUE;

    void frame(String text) {
      if (!SocketFleet.type(text).equals("notification")) {
        return;
      }
      long now = System.nanoTime();
      JsonObject data = new JsonObject(text).getJsonObject("notification").getJsonObject("data");
      if (data == null || data.getLong("r", 0L) != runId) {
        return;
      }
      long t = data.getLong("t");
      if (t >= measureFrom) {
        e2e.record(now - t);
        received.increment();
      }
    }
  }

  private E2eBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    Measured m = new Measured();
    List<Target> nodes = p.gateways();
    List<String> users = SocketFleet.users(p.prefix(), p.firstUser(), p.users(), 1);
    List<SocketFleet> fleets = new java.util.ArrayList<>();
    List<IngestClient> clients = new java.util.ArrayList<>();
    List<Future<Void>> opened = new java.util.ArrayList<>();
    for (int i = 0; i < nodes.size(); i++) {
      List<String> here = new java.util.ArrayList<>();
      for (int u = i; u < users.size(); u += nodes.size()) {
        here.add(users.get(u));
      }
      SocketFleet fleet = new SocketFleet(loops, nodes.get(i), p.sources(), here.size(), 64, p.welcomeTimeout(), m::frame);
      fleets.add(fleet);
      opened.add(fleet.open(here));
      clients.add(new IngestClient(loops.vertx(), nodes.get(i), p.pool()));
    }
    Report report = new Report("e2e", p.toJson())
        .text("target", null, String.join(", ", nodes.stream().map(E2eBench::url).toList()))
        .value("rate (open loop)", "rate", p.rate(), "/s");
    if (nodes.size() > 1) {
      report.text("pushes", null, p.crossNode() ? "every one ingested on another node than its socket's" : "ingested on the nodes in turn");
    }
    return Future.join(opened).compose(v -> {
      int open = fleets.stream().mapToInt(SocketFleet::openCount).sum();
      report.value("sockets open", "sockets_open", open, "");
      fleets.forEach(f -> report.tally("socket failures", "socket_failures", f.failures()));
      if (open < users.size()) {
        return Future.failedFuture("only " + open + " of " + users.size() + " sockets opened");
      }
      Progress.say("e2e: " + users.size() + " sockets open on " + nodes.size() + " node(s); sending " + p.rate() + "/s for "
          + p.warmup().toSeconds() + " s warm-up + " + p.duration().toSeconds() + " s");
      return send(loops, p, m, clients, users);
    }).map(v -> report
        .value("measured for", "seconds", p.duration().toMillis() / 1000.0, "s")
        .value("sent ok (measured)", "sent_ok", m.sentOk.sum(), "")
        .value("received on sockets", "received", m.received.sum(), "")
        .value("not received", "lost", Math.max(0, m.sentOk.sum() - m.received.sum()), "")
        .latency("ingest call -> socket", "e2e_ms", m.e2e)
        .latency("HTTP response time", "response_ms", m.http)
        .latency("sender lag behind schedule", "sender_lag_ms", m.lag)
        .tally("ingest failures", "ingest_failures", m.failures))
        .eventually(() -> Future.join(fleets.stream().map(SocketFleet::closeAll).toList())
            .eventually(() -> Future.join(clients.stream().map(IngestClient::close).toList())));
  }

  /** Sends on one event loop; completes after the last answer plus a grace period for frames in flight. */
  private static Future<Void> send(Loops loops, Params p, Measured m, List<IngestClient> clients, List<String> users) {
    Promise<Void> done = Promise.promise();
    long total = (long) p.rate() * (p.warmup().toMillis() + p.duration().toMillis()) / 1000;
    long warmupCount = (long) p.rate() * p.warmup().toMillis() / 1000;
    loops.get(0).runOnContext(x -> {
      long start = System.nanoTime();
      long[] sent = {0};
      Progress progress = Progress.every(loops.vertx(), 5, "e2e", () -> sent[0] + " sent, " + m.received.sum() + " measured received, "
          + m.failures.total() + " failed");
      loops.vertx().setPeriodic(1, id -> {
        long now = System.nanoTime();
        // notification n is due at start + n / rate
        long due = Math.min(total, (now - start) * p.rate() / 1_000_000_000L + 1);
        while (sent[0] < due) {
          long n = sent[0]++;
          long intended = start + n * 1_000_000_000L / p.rate();
          long t = System.nanoTime();
          boolean measured = n >= warmupCount;
          if (measured) {
            m.measureFrom = Math.min(m.measureFrom, t);
            m.lag.record(t - intended);
          }
          m.inFlight.incrementAndGet();
          JsonObject data = new JsonObject().put("t", t).put("r", m.runId);
          int user = (int) (n % users.size());
          int node = clients.size() == 1 ? 0 : p.crossNode() ? (user + 1) % clients.size() : (int) (n % clients.size());
          clients.get(node).post(IngestClient.single(users.get(user), data)).onComplete(r -> {
            IngestClient.Outcome outcome = r.result();
            if (measured) {
              if (outcome.ok()) {
                m.sentOk.increment();
                m.http.record(outcome.nanos());
              } else {
                m.failures.add(outcome.failure());
              }
            }
            m.inFlight.decrementAndGet();
          });
        }
        if (sent[0] >= total) {
          loops.vertx().cancelTimer(id);
          waitForAnswers(loops, m, progress, done);
        }
      });
    });
    return done.future();
  }

  private static void waitForAnswers(Loops loops, Measured m, Progress progress, Promise<Void> done) {
    long deadline = System.currentTimeMillis() + 30_000;
    loops.vertx().setPeriodic(100, id -> {
      if (m.inFlight.get() == 0 || System.currentTimeMillis() > deadline) {
        loops.vertx().cancelTimer(id);
        loops.vertx().setTimer(2000, id2 -> {
          progress.stop();
          done.complete();
        });
      }
    });
  }
}
