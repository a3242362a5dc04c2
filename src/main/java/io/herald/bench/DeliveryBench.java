package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench delivery}: notifications for an external channel are ingested and a stand-in
 * provider in this process ({@link ProviderStandIn}) receives what the gateway sends. Each title
 * carries {@code bench t=<nanoTime at the ingest call> r=<run id>}, so the stand-in measures ingest
 * call to provider request. {@code throughput}: closed-loop ingest of {@code batch} recipients per
 * request until {@code count} deliveries were acknowledged, pausing while more than
 * {@code maxBacklog} acknowledged deliveries have not reached the provider yet (more than the
 * worker's queue holds would wait for the gateway's retry scan and measure that instead); the figure is deliveries/s at the
 * provider (median of per-second samples over the steady part). {@code latency}: open-loop
 * single-recipient notifications at {@code rate}, like {@code bench e2e}.
 */
public final class DeliveryBench {
  public enum Mode { THROUGHPUT, LATENCY }

  public record Params(Target target, String channel, Mode mode, int providerPort, int batch, int concurrency, long count, int maxBacklog,
                       int rate, Duration duration, Duration warmup, Duration grace, int users, String prefix, int pool,
                       Duration hold) {
    JsonObject toJson() {
      JsonObject json = new JsonObject().put("url", "http://" + target.host() + ":" + target.port()).put("channel", channel)
          .put("mode", mode.name().toLowerCase()).put("provider_port", providerPort).put("warmup_s", warmup.toMillis() / 1000.0);
      return mode == Mode.THROUGHPUT
          ? json.put("batch", batch).put("concurrency", concurrency).put("count", count).put("max_backlog", maxBacklog)
              .put("hold_s", hold.toMillis() / 1000.0)
          : json.put("rate", rate).put("duration_s", duration.toMillis() / 1000.0);
    }
  }

  /** What reached the provider, and what was acknowledged at ingest. */
  static final class Measured {
    final long runId = ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE);
    final LatencyRecorder latency = new LatencyRecorder();
    final LatencyRecorder http = new LatencyRecorder();
    final LatencyRecorder lag = new LatencyRecorder();
    final LongAdder acknowledged = new LongAdder();
    final LongAdder received = new LongAdder();
    final LongAdder unmarked = new LongAdder();
    final Tally failures = new Tally();
    final AtomicLong inFlight = new AtomicLong();
    Vertx vertx;
    RateSampler rate;
    /** Latencies count for stamps from this time on, once {@link #measuring} is set. */
    volatile long measureFrom;
    volatile boolean measuring;
    volatile long lastReceivedNanos;

    void message(CharSequence text) {
      long now = System.nanoTime();
      long t = Marker.find(text, runId);
      if (t == -1) {
        unmarked.increment();
        return;
      }
      lastReceivedNanos = now;
      rate.add(1);
      if (measuring && t - measureFrom >= 0) {
        latency.record(now - t);
        received.increment();
      }
    }
  }

  private DeliveryBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    Measured m = new Measured();
    m.vertx = loops.vertx();
    m.rate = new RateSampler(loops.vertx());
    IngestClient client = new IngestClient(loops.vertx(), p.target(), p.mode() == Mode.THROUGHPUT ? p.concurrency() : p.pool());
    Report report = new Report("delivery-" + p.channel() + (p.mode() == Mode.LATENCY ? "-latency" : ""), p.toJson())
        .text("target", null, "http://" + p.target().host() + ":" + p.target().port())
        .text("channel", null, p.channel() + " -> stand-in provider on 127.0.0.1:" + p.providerPort());
    return ProviderStandIn.start(loops.vertx(), p.channel(), p.providerPort(), loops.contexts().size(), m::message)
        .compose(standIn -> {
          Progress.say("delivery: " + p.channel() + " stand-in listening on 127.0.0.1:" + p.providerPort());
          m.rate.start();
          Future<Report> result = p.mode() == Mode.THROUGHPUT ? throughput(loops, p, m, client, report) : latency(loops, p, m, client, report);
          return result.map(r -> r.tally("unexpected provider requests", "unexpected_requests", standIn.unexpected()))
              .eventually(() -> standIn.close().eventually(client::close));
        })
        .eventually(() -> {
          m.rate.stop();
          return Future.succeededFuture();
        });
  }

  /** A request for {@code recipients}, stamped now; e-mail and phone go in the request, so no subscriber rows are needed. */
  private static Buffer request(Params p, long runId, List<String> recipients) {
    JsonObject body = new JsonObject().put("title", Marker.title(System.nanoTime(), runId))
        .put("body", "Sent by herald bench to measure delivery.").put("category", "bench").put("level", "info")
        .put("channels", new JsonArray().add(p.channel()));
    if (!p.hold().isZero()) {
      // held back by sendAt: everything is written first, then released at once, so the provider
      // rate measures the delivery path alone, without ingest competing for the cores
      body.put("sendAt", java.time.Instant.now().plus(p.hold()).toString());
    }
    switch (p.channel()) {
      case "email" -> body.put("email", "bench@example.com");
      case "sms", "whatsapp" -> body.put("phone", "+15550001234");
      default -> { }
    }
    return Buffer.buffer(recipients.size() == 1 ? body.put("recipient", recipients.get(0)).encode()
        : body.put("recipients", new JsonArray(recipients)).encode());
  }

  private static List<String> recipients(Params p, long n, int size) {
    List<String> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(p.prefix() + ((n * size + i) % p.users()));
    }
    return out;
  }

  private static Future<Report> throughput(Loops loops, Params p, Measured m, IngestClient client, Report report) {
    AtomicLong requested = new AtomicLong();
    AtomicLong sequence = new AtomicLong();
    long start = System.nanoTime();
    m.measureFrom = start;
    m.measuring = true;
    long steadyAfter = Math.max(0, Math.round((double) p.count() * 0.99));
    Progress progress = Progress.every(loops.vertx(), 5, "delivery", () -> m.acknowledged.sum() + " acknowledged, "
        + m.rate.total() + " at the provider (" + Math.round(m.rate.latest()) + "/s), " + m.failures.total() + " failed");
    // the steady part: from the end of the warm-up to the second in which 99 % of the deliveries had arrived
    loops.vertx().setTimer(Math.max(1, p.warmup().toMillis()), id -> m.rate.measuring(true));
    long tailWatch = loops.vertx().setPeriodic(50, id -> {
      if (m.rate.total() >= steadyAfter) {
        m.rate.measuring(false);
      }
    });
    List<Future<Void>> workers = new ArrayList<>();
    for (int i = 0; i < p.concurrency(); i++) {
      Promise<Void> done = Promise.promise();
      loops.get(i).runOnContext(v -> post(p, m, client, requested, sequence, done));
      workers.add(done.future());
    }
    return Future.all(workers)
        .compose(v -> drain(loops, m, p.grace()))
        .map(v -> {
          progress.stop();
          loops.vertx().cancelTimer(tailWatch);
          long received = m.rate.total();
          double seconds = ((m.lastReceivedNanos == 0 ? System.nanoTime() : m.lastReceivedNanos) - start) / 1e9;
          List<Double> samples = m.rate.samples();
          report.json().put("samples", new JsonArray(samples.stream().map(Math::round).toList()));
          return report
              .value("deliveries/s at the provider (median)", "deliveries_per_s", RateSampler.median(samples), "/s")
              .text("per-second samples", null, samples.stream().map(s -> String.valueOf(Math.round(s))).toList().toString())
              .value("acknowledged deliveries", "acknowledged", m.acknowledged.sum(), "")
              .value("received at the provider", "received", received, "")
              .value("first ingest -> last delivery", "seconds", seconds, "s")
              .value("overall deliveries/s", "overall_per_s", seconds > 0 ? received / seconds : 0, "/s")
              .value("lost (acknowledged - received)", "lost", Math.max(0, m.acknowledged.sum() - received), "")
              .value("received without this run's stamp", "unmarked", m.unmarked.sum(), "")
              .latency("ingest call -> provider (saturated)", "latency_ms", m.latency)
              .latency("HTTP response time", "response_ms", m.http)
              .tally("ingest failures", "ingest_failures", m.failures);
        });
  }

  /** One closed-loop worker: reserves a batch of the count, posts it, and goes on until the count is taken. */
  private static void post(Params p, Measured m, IngestClient client, AtomicLong requested, AtomicLong sequence, Promise<Void> done) {
    if (m.acknowledged.sum() - m.rate.total() >= p.maxBacklog()) {
      // the gateway's worker keeps a bounded queue and leaves the rest to its retry scanner: do not outrun it
      m.vertx.setTimer(5, id -> post(p, m, client, requested, sequence, done));
      return;
    }
    long taken = requested.getAndAdd(p.batch());
    if (taken >= p.count()) {
      done.complete();
      return;
    }
    int size = (int) Math.min(p.batch(), p.count() - taken);
    client.post(request(p, m.runId, recipients(p, sequence.getAndIncrement(), size))).onComplete(r -> {
      IngestClient.Outcome outcome = r.result();
      if (outcome.ok()) {
        m.acknowledged.add(size);
        m.http.record(outcome.nanos());
      } else {
        m.failures.add(outcome.failure());
      }
      if (outcome.status() == 0) {
        m.vertx.setTimer(10, id -> post(p, m, client, requested, sequence, done)); // no answer: do not spin
      } else {
        post(p, m, client, requested, sequence, done);
      }
    });
  }

  private static Future<Report> latency(Loops loops, Params p, Measured m, IngestClient client, Report report) {
    Promise<Void> sent = Promise.promise();
    long total = (long) p.rate() * (p.warmup().toMillis() + p.duration().toMillis()) / 1000;
    long warmupCount = (long) p.rate() * p.warmup().toMillis() / 1000;
    LongAdder measuredOk = new LongAdder();
    loops.get(0).runOnContext(x -> {
      long start = System.nanoTime();
      long[] n = {0};
      Progress progress = Progress.every(loops.vertx(), 5, "delivery", () -> n[0] + " sent, " + m.received.sum()
          + " measured received, " + m.failures.total() + " failed");
      loops.vertx().setPeriodic(1, id -> {
        long due = Math.min(total, (System.nanoTime() - start) * p.rate() / 1_000_000_000L + 1);
        while (n[0] < due) {
          long i = n[0]++;
          long intended = start + i * 1_000_000_000L / p.rate();
          boolean measured = i >= warmupCount;
          if (measured) {
            long now = System.nanoTime();
            if (!m.measuring) {
              m.measureFrom = now;
              m.measuring = true;
            }
            m.lag.record(now - intended);
          }
          m.inFlight.incrementAndGet();
          client.post(request(p, m.runId, recipients(p, i, 1))).onComplete(r -> {
            IngestClient.Outcome outcome = r.result();
            if (outcome.ok()) {
              m.acknowledged.increment();
            }
            if (measured && outcome.ok()) {
              measuredOk.increment();
              m.http.record(outcome.nanos());
            } else if (measured) {
              m.failures.add(outcome.failure());
            }
            m.inFlight.decrementAndGet();
          });
        }
        if (n[0] >= total) {
          loops.vertx().cancelTimer(id);
          progress.stop();
          sent.complete();
        }
      });
    });
    return sent.future()
        .compose(v -> answered(loops, m))
        .compose(v -> drain(loops, m, p.grace()))
        .map(v -> report
            .value("rate (open loop)", "rate", p.rate(), "/s")
            .value("measured for", "seconds", p.duration().toMillis() / 1000.0, "s")
            .value("acknowledged (measured)", "sent_ok", measuredOk.sum(), "")
            .value("received at the provider", "received", m.received.sum(), "")
            .value("not received", "lost", Math.max(0, measuredOk.sum() - m.received.sum()), "")
            .value("received without this run's stamp", "unmarked", m.unmarked.sum(), "")
            .latency("ingest call -> provider", "latency_ms", m.latency)
            .latency("HTTP response time", "response_ms", m.http)
            .latency("sender lag behind schedule", "sender_lag_ms", m.lag)
            .tally("ingest failures", "ingest_failures", m.failures));
  }

  /** Completes once every ingest call has been answered (or after 30 s). */
  private static Future<Void> answered(Loops loops, Measured m) {
    Promise<Void> done = Promise.promise();
    long deadline = System.currentTimeMillis() + 30_000;
    loops.vertx().setPeriodic(100, id -> {
      if (m.inFlight.get() == 0 || System.currentTimeMillis() > deadline) {
        loops.vertx().cancelTimer(id);
        done.complete();
      }
    });
    return done.future();
  }

  /**
   * Completes once every acknowledged delivery reached the provider, or nothing has for {@code grace}
   * (a dispatch the worker's full queue dropped waits for the gateway's next retry scan).
   */
  private static Future<Void> drain(Loops loops, Measured m, Duration grace) {
    Promise<Void> done = Promise.promise();
    long quietFor = grace.toNanos();
    long[] lastTotal = {-1};
    long[] lastChange = {System.nanoTime()};
    loops.vertx().setPeriodic(100, id -> {
      long now = System.nanoTime();
      long total = m.rate.total() + m.unmarked.sum();
      if (m.rate.total() >= m.acknowledged.sum()) {
        loops.vertx().cancelTimer(id);
        done.complete();
      } else if (total != lastTotal[0]) {
        lastTotal[0] = total;
        lastChange[0] = now;
      } else if (now - lastChange[0] >= quietFor) {
        loops.vertx().cancelTimer(id);
        done.complete();
      }
    });
    return done.future();
  }
}
