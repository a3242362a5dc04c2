package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code bench ingest}: closed-loop {@code POST /v1/notifications} at a fixed concurrency.
 * Reports notifications persisted per second (successful requests/s x recipients per request),
 * response times and failures by status. Recipients cycle through {@code users} distinct ids,
 * so requests do not queue on one inbox row.
 */
public final class IngestBench {
  public record Params(Target target, int concurrency, Duration duration, Duration warmup, int recipients, int users, String prefix) {
    public Params {
      if (recipients < 1 || recipients > 1000) {
        throw new IllegalArgumentException("--recipients must be 1 to 1000 (the API's limit per request)");
      }
      if (users < recipients) {
        throw new IllegalArgumentException("--users must be at least --recipients (recipients of one request must differ)");
      }
    }

    JsonObject toJson() {
      return new JsonObject().put("url", "http://" + target.host() + ":" + target.port()).put("concurrency", concurrency)
          .put("duration_s", duration.toMillis() / 1000.0).put("warmup_s", warmup.toMillis() / 1000.0).put("recipients", recipients)
          .put("users", users);
    }
  }

  private IngestBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    IngestClient client = new IngestClient(loops.vertx(), p.target(), p.concurrency());
    ClosedLoop loop = new ClosedLoop(loops, client, p.concurrency(), n -> body(p, n), p.recipients());
    Progress.say("ingest: " + p.concurrency() + " concurrent requests of " + p.recipients() + " recipient(s), warm-up "
        + p.warmup().toSeconds() + " s, then " + p.duration().toSeconds() + " s measured");
    long[] last = {0};
    Progress progress = Progress.every(loops.vertx(), 5, "ingest", () -> {
      ClosedLoop.Window w = loop.current();
      long ok = w.ok.sum();
      String line = String.format("%d ok, %d failed in this phase; %.0f req/s over the last 5 s", ok, w.failures.total(),
          Math.max(0, ok - last[0]) / 5.0);
      last[0] = ok;
      return line;
    });
    return loop.run(p.warmup(), p.duration())
        .map(w -> report(p, w))
        .eventually(() -> {
          progress.stop();
          return client.close();
        });
  }

  static Buffer body(Params p, long n) {
    JsonObject data = new JsonObject().put("seq", n);
    if (p.recipients() == 1) {
      return IngestClient.single(p.prefix() + (n % p.users()), data);
    }
    List<String> recipients = new ArrayList<>(p.recipients());
    long first = n * p.recipients();
    for (int i = 0; i < p.recipients(); i++) {
      recipients.add(p.prefix() + ((first + i) % p.users()));
    }
    return IngestClient.multi(recipients, data);
  }

  private static Report report(Params p, ClosedLoop.Window w) {
    double seconds = w.seconds();
    long failed = w.failures.total();
    return new Report("ingest", p.toJson())
        .text("target", null, "http://" + p.target().host() + ":" + p.target().port() + "/v1/notifications")
        .text("load", null, p.concurrency() + " concurrent (closed loop), " + p.recipients() + " recipient(s) per request")
        .value("measured for", "seconds", seconds, "s")
        .value("requests ok", "requests_ok", w.ok.sum(), "")
        .value("requests failed", "requests_failed", failed, "")
        .value("requests/s", "requests_per_s", w.ok.sum() / seconds, "")
        .value("notifications persisted/s", "notifications_per_s", w.rows.sum() / seconds, "")
        .latency("response time", "response_ms", w.latency)
        .tally("failures", "failures", w.failures);
  }
}
