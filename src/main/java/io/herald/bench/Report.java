package io.herald.bench;

import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A scenario's result: a human summary block and, as its last line, one JSON object (starting
 * with {@code {"bench":}) for BENCHMARKS.md and scripts.
 */
public final class Report {
  private final String scenario;
  private final List<String[]> lines = new ArrayList<>();
  private final JsonObject json = new JsonObject();

  public Report(String scenario, JsonObject params) {
    this.scenario = scenario;
    json.put("bench", scenario).put("params", params);
  }

  public Report value(String label, String key, double value, String unit) {
    lines.add(new String[] {label, format(value) + (unit.isEmpty() ? "" : " " + unit)});
    json.put(key, Math.abs(value - Math.rint(value)) < 1e-9 ? (Object) (long) Math.rint(value) : (Object) round(value));
    return this;
  }

  public Report text(String label, String key, String value) {
    lines.add(new String[] {label, value});
    if (key != null) {
      json.put(key, value);
    }
    return this;
  }

  /** p50/p90/p99/max in milliseconds. */
  public Report latency(String label, String key, LatencyRecorder r) {
    double p50 = ms(r.percentileNanos(50));
    double p90 = ms(r.percentileNanos(90));
    double p99 = ms(r.percentileNanos(99));
    double max = ms(r.maxNanos());
    lines.add(new String[] {label, String.format("p50 %s  p90 %s  p99 %s  max %s ms  (n=%d)", formatMs(p50), formatMs(p90), formatMs(p99),
        formatMs(max), r.count())});
    json.put(key, new JsonObject().put("p50_ms", p50).put("p90_ms", p90).put("p99_ms", p99).put("max_ms", max).put("count", r.count()));
    return this;
  }

  public Report tally(String label, String key, Tally tally) {
    Map<String, Long> counts = tally.snapshot();
    if (counts.isEmpty()) {
      lines.add(new String[] {label, "none"});
    } else {
      counts.forEach((reason, n) -> lines.add(new String[] {label, n + " x " + reason}));
    }
    json.put(key, tally.toJson());
    return this;
  }

  public JsonObject json() {
    return json;
  }

  public void print(PrintStream out) {
    int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(10);
    out.println();
    out.println("=== herald bench " + scenario + " " + "=".repeat(Math.max(3, 50 - scenario.length())));
    String previous = null;
    for (String[] line : lines) {
      String label = line[0].equals(previous) ? "" : line[0];
      out.printf("  %-" + width + "s  %s%n", label, line[1]);
      previous = line[0];
    }
    out.println("=".repeat(68));
    out.println(json.encode());
    out.flush();
  }

  static double ms(long nanos) {
    return round(nanos / 1e6);
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static String format(double v) {
    if (Math.abs(v - Math.rint(v)) < 1e-9) {
      return String.format("%,d", (long) Math.rint(v));
    }
    return Math.abs(v) >= 100 ? String.format("%,.0f", v) : String.format("%.2f", v);
  }

  private static String formatMs(double v) {
    return String.format("%.2f", v);
  }
}
