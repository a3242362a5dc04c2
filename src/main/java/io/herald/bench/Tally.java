package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts of outcomes by reason ("HTTP 503 unavailable", "ConnectException: ..."), thread-safe. */
public final class Tally {
  private final ConcurrentHashMap<String, LongAdder> counts = new ConcurrentHashMap<>();

  public void add(String reason) {
    counts.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  public long total() {
    return counts.values().stream().mapToLong(LongAdder::sum).sum();
  }

  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    counts.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  public JsonObject toJson() {
    JsonObject out = new JsonObject();
    snapshot().forEach(out::put);
    return out;
  }

  /** A short reason for a failure: the exception's simple name and the start of its message. */
  public static String reason(Throwable err) {
    String message = err.getMessage() == null ? "" : ": " + err.getMessage().replaceAll("\\s+", " ");
    String text = err.getClass().getSimpleName() + message;
    return text.length() > 120 ? text.substring(0, 120) + "..." : text;
  }
}
