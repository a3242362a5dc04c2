package io.herald.ops;

import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** One scrape of a gateway's {@code /metrics}, parsed: each sample's name, labels and value. */
final class Scrape {
  record Sample(String name, Map<String, String> labels, double value) {
  }

  private static final Pattern LINE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})? (\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  final String text;
  final String contentType;
  final List<Sample> samples = new ArrayList<>();

  private Scrape(String text, String contentType) {
    this.text = text;
    this.contentType = contentType;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = LINE.matcher(line);
      if (!m.matches()) {
        throw new AssertionError("not a sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
    }
  }

  static Scrape of(TestGateway gw) {
    HttpResponse<Buffer> r = gw.get("/metrics", null);
    if (r.statusCode() != 200) {
      throw new AssertionError("/metrics answered " + r.statusCode() + ": " + r.bodyAsString());
    }
    return new Scrape(r.bodyAsString(), r.getHeader("Content-Type"));
  }

  /** The samples called {@code name} whose labels include every pair of {@code labels} (name, value, name, value ...). */
  List<Sample> all(String name, String... labels) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      boolean match = s.name.equals(name);
      for (int i = 0; match && i < labels.length; i += 2) {
        match = labels[i + 1].equals(s.labels.get(labels[i]));
      }
      if (match) {
        out.add(s);
      }
    }
    return out;
  }

  /** The value of the one sample matching; fails when there is none, so a meter never registered cannot pass for 0. */
  double value(String name, String... labels) {
    List<Sample> found = all(name, labels);
    if (found.isEmpty()) {
      throw new AssertionError("no sample " + name + " " + List.of(labels) + " in the scrape");
    }
    return valueOrZero(name, labels);
  }

  /** The value of the one sample matching, or 0 when there is none (a labelled counter not yet touched is absent). */
  double valueOrZero(String name, String... labels) {
    List<Sample> found = all(name, labels);
    if (found.size() > 1) {
      throw new AssertionError(found.size() + " samples match " + name + " " + List.of(labels) + ": " + found);
    }
    return found.isEmpty() ? 0 : found.get(0).value;
  }

  /** The sum over every sample matching. */
  double sum(String name, String... labels) {
    return all(name, labels).stream().mapToDouble(Sample::value).sum();
  }

  boolean has(String name, String... labels) {
    return !all(name, labels).isEmpty();
  }
}
