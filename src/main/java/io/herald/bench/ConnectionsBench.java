package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code bench connections}: opens {@code count} idle push sockets (bound to the given source
 * addresses round-robin), waits for each welcome, holds them for {@code hold}, then closes them.
 * Reports how many opened, how many failed and why, and how many the server closed while held.
 * The gateway's heap and RSS per socket are measured from outside (bench/run-all.sh); the
 * {@code readyFile} tells such a script that every socket is open.
 */
public final class ConnectionsBench {
  public record Params(Target target, int count, List<String> sources, int perUser, int firstUser, String prefix, Duration hold,
                       int connectConcurrency, Duration welcomeTimeout, String readyFile) {
    JsonObject toJson() {
      return new JsonObject().put("url", "http://" + target.host() + ":" + target.port()).put("count", count)
          .put("sources", new JsonArray(sources)).put("per_user", perUser).put("first_user", firstUser)
          .put("hold_s", hold.toMillis() / 1000.0).put("connect_concurrency", connectConcurrency);
    }
  }

  private ConnectionsBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    LongAdder frames = new LongAdder();
    SocketFleet fleet = new SocketFleet(loops, p.target(), p.sources(), p.count(), p.connectConcurrency(), p.welcomeTimeout(),
        text -> frames.increment());
    List<String> users = SocketFleet.users(p.prefix(), p.firstUser(), p.count(), p.perUser());
    Progress.say("connections: opening " + p.count() + " sockets for " + (p.count() + p.perUser() - 1) / p.perUser() + " users from "
        + (p.sources().isEmpty() ? "any local address" : String.join(", ", p.sources())));
    Progress connecting = Progress.every(loops.vertx(), 5, "connect", () -> fleet.openCount() + " open, " + fleet.failures().total() + " failed");
    long start = System.nanoTime();
    long[] connectNanos = {0};
    int[] openAfterConnect = {0};
    return fleet.open(users)
        .compose(v -> {
          connectNanos[0] = System.nanoTime() - start;
          openAfterConnect[0] = fleet.openCount();
          connecting.stop();
          Progress.say(String.format("connections: %d open, %d failed after %.1f s; holding for %d s", openAfterConnect[0],
              fleet.failures().total(), connectNanos[0] / 1e9, p.hold().toSeconds()));
          return ready(loops, p.readyFile(), openAfterConnect[0]);
        })
        .compose(v -> {
          if (fleet.openCount() == 0) {
            return Future.<Void>succeededFuture(); // nothing to hold
          }
          Progress holding = Progress.every(loops.vertx(), 5, "hold", () -> fleet.openCount() + " open");
          Promise<Void> held = Promise.promise();
          loops.vertx().setTimer(Math.max(1, p.hold().toMillis()), id -> {
            holding.stop();
            held.complete();
          });
          return held.future();
        })
        .compose(v -> {
          int openAtEnd = fleet.openCount();
          Report report = new Report("connections", p.toJson())
              .text("target", null, "ws://" + p.target().host() + ":" + p.target().port() + "/v1/ws")
              .text("sources", null, p.sources().isEmpty() ? "(any)" : String.join(", ", p.sources()))
              .value("requested", "requested", p.count(), "")
              .value("open after connecting", "open", openAfterConnect[0], "")
              .value("failed", "failed", fleet.failures().total(), "")
              .tally("failure reasons", "failure_reasons", fleet.failures())
              .value("time to connect all", "connect_s", connectNanos[0] / 1e9, "s")
              .value("connect rate", "connects_per_s", openAfterConnect[0] / (connectNanos[0] / 1e9), "sockets/s")
              .latency("handshake to welcome", "welcome_ms", fleet.welcomeLatency())
              .value("held for", "hold_s", p.hold().toMillis() / 1000.0, "s")
              .value("still open at end of hold", "open_at_end", openAtEnd, "")
              .tally("closed by server", "closed_by_server", fleet.closedByServer())
              .value("frames after welcome", "frames_after_welcome", frames.sum(), "");
          return fleet.closeAll().map(report);
        });
  }

  /** Writes "open N" to the ready file (if any) once connecting is over, for scripts that measure the gateway meanwhile. */
  static Future<Void> ready(Loops loops, String readyFile, int open) {
    if (readyFile == null) {
      return Future.succeededFuture();
    }
    return loops.vertx().fileSystem().writeFile(readyFile, Buffer.buffer("open " + open + "\n"));
  }
}
