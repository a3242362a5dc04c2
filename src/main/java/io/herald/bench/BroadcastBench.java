package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * {@code bench broadcast}: opens {@code sockets} push sockets, then sends {@code rounds} broadcasts
 * to everyone ({@code POST /v1/broadcasts}, one at a time) and times, for each, how long after the
 * request went out every open socket had the {@code broadcast} frame: the last socket's time is the
 * figure, the median socket's and the API's answer are reported beside it.
 */
public final class BroadcastBench {
  public record Params(Target target, int sockets, List<String> sources, int rounds, String prefix, int connectConcurrency,
                       Duration welcomeTimeout, Duration roundTimeout) {
    JsonObject toJson() {
      return new JsonObject().put("url", "http://" + target.host() + ":" + target.port()).put("sockets", sockets)
          .put("sources", new JsonArray(sources)).put("rounds", rounds);
    }
  }

  private BroadcastBench() {
  }

  public static Future<Report> run(Loops loops, Params p) {
    int rounds = p.rounds();
    AtomicLongArray received = new AtomicLongArray(rounds);
    AtomicLongArray lastNanos = new AtomicLongArray(rounds);
    AtomicLong[] sentAt = new AtomicLong[rounds];
    List<LatencyRecorder> perSocket = new ArrayList<>();
    for (int i = 0; i < rounds; i++) {
      sentAt[i] = new AtomicLong();
      perSocket.add(new LatencyRecorder());
    }
    SocketFleet fleet = new SocketFleet(loops, p.target(), p.sources(), p.sockets(), p.connectConcurrency(), p.welcomeTimeout(),
        text -> {
          if (!"broadcast".equals(SocketFleet.type(text))) {
            return;
          }
          long now = System.nanoTime();
          int round = round(text);
          if (round >= 0 && round < rounds) {
            received.incrementAndGet(round);
            lastNanos.accumulateAndGet(round, now, Math::max);
            synchronized (perSocket.get(round)) {
              perSocket.get(round).record(now - sentAt[round].get());
            }
          }
        });
    IngestClient api = new IngestClient(loops.vertx(), p.target(), 4);
    Progress.say("broadcast: opening " + p.sockets() + " sockets");
    List<Double> lastMs = new ArrayList<>();
    List<Double> medianMs = new ArrayList<>();
    List<Double> answerMs = new ArrayList<>();
    List<Long> missing = new ArrayList<>();
    return fleet.open(SocketFleet.users(p.prefix(), 0, p.sockets(), 1))
        .compose(v -> {
          Progress.say("broadcast: " + fleet.openCount() + " open, " + fleet.failures().total() + " failed; " + rounds + " rounds");
          Future<Void> chain = Future.succeededFuture();
          for (int i = 0; i < rounds; i++) {
            int round = i;
            chain = chain.compose(x -> pause(loops, 1000)).compose(x -> {
              int open = fleet.openCount();
              sentAt[round].set(System.nanoTime());
              Buffer body = Buffer.buffer(new JsonObject().put("message", "bench round " + round).put("level", "info").encode());
              return api.post("/v1/broadcasts", body).compose(outcome -> {
                if (!outcome.ok()) {
                  return Future.failedFuture("broadcast refused: " + outcome.failure());
                }
                answerMs.add(outcome.nanos() / 1e6);
                return until(loops, () -> received.get(round) >= open, p.roundTimeout().toMillis()).map(all -> {
                  long got = received.get(round);
                  lastMs.add((lastNanos.get(round) - sentAt[round].get()) / 1e6);
                  medianMs.add(perSocket.get(round).percentileNanos(50) / 1e6);
                  missing.add(open - got);
                  Progress.say(String.format("broadcast: round %d: %d of %d sockets, last after %.1f ms", round, got, open,
                      lastMs.get(lastMs.size() - 1)));
                  return null;
                });
              });
            });
          }
          return chain;
        })
        .compose(v -> {
          JsonArray rawLast = new JsonArray();
          lastMs.forEach(ms -> rawLast.add(Math.round(ms * 10) / 10.0));
          Report report = new Report("broadcast", p.toJson())
              .value("sockets open", "open", fleet.openCount(), "")
              .value("failed to open", "failed", fleet.failures().total(), "")
              .tally("failure reasons", "failure_reasons", fleet.failures())
              .value("last socket has it (median of rounds)", "last_socket_ms", RateSampler.median(lastMs), "ms")
              .value("last socket, worst round", "last_socket_ms_max", lastMs.stream().mapToDouble(Double::doubleValue).max().orElse(0), "ms")
              .value("median socket has it (median of rounds)", "median_socket_ms", RateSampler.median(medianMs), "ms")
              .value("API answer (median of rounds)", "answer_ms", RateSampler.median(answerMs), "ms")
              .value("sockets that missed a round (sum)", "missed", missing.stream().mapToLong(Long::longValue).sum(), "")
              .text("last socket per round (ms)", null, rawLast.encode());
          report.json().put("last_socket_rounds_ms", rawLast);
          return fleet.closeAll().eventually(api::close).map(report);
        });
  }

  /** The round number in "bench round N" (frames carry the message as sent). */
  static int round(String frame) {
    int at = frame.indexOf("bench round ");
    if (at < 0) {
      return -1;
    }
    int start = at + "bench round ".length();
    int end = start;
    while (end < frame.length() && Character.isDigit(frame.charAt(end))) {
      end++;
    }
    return end == start ? -1 : Integer.parseInt(frame.substring(start, end));
  }

  private static Future<Void> pause(Loops loops, long ms) {
    Promise<Void> done = Promise.promise();
    loops.vertx().setTimer(ms, id -> done.complete());
    return done.future();
  }

  /** Completes (true) once {@code condition} holds, or (false) after {@code timeoutMs}; checked every 2 ms. */
  private static Future<Boolean> until(Loops loops, java.util.function.BooleanSupplier condition, long timeoutMs) {
    Promise<Boolean> done = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    loops.vertx().setPeriodic(2, id -> {
      if (condition.getAsBoolean() || System.currentTimeMillis() > deadline) {
        loops.vertx().cancelTimer(id);
        done.tryComplete(condition.getAsBoolean());
      }
    });
    return done.future();
  }
}
