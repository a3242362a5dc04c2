package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.JarProcess;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HERALD_LOG_FORMAT and HERALD_LOG_LEVEL as the packaged jar reads them: any case works, and a
 * misspelt value stops the process with one line instead of silently logging nothing (an unknown
 * appender) or everything (logback's DEBUG fallback).
 */
class LogSettingsIT {
  @TempDir
  Path dir;

  /** Runs {@code java -jar target/herald.jar migrate} on a fresh schema with {@code env} added; returns exit code and output. */
  private Map.Entry<Integer, List<String>> migrate(Map<String, String> env) throws Exception {
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Path conf = dir.resolve("herald.json");
    Files.writeString(conf, new JsonObject().put("postgres", new JsonObject().put("schema", schema)).encode());
    Path log = dir.resolve("out.log");
    ProcessBuilder builder = new ProcessBuilder("java", "-jar", "target/herald.jar", "migrate", "--conf", conf.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(env);
    Process process = builder.start();
    try {
      assertTrue(process.waitFor(60, TimeUnit.SECONDS), "migrate did not finish");
      return Map.entry(process.exitValue(), Files.readAllLines(log));
    } finally {
      process.destroyForcibly();
      JarProcess.dropSchema(schema);
    }
  }

  @Test
  void upperCaseJsonStillLogsJsonLines() throws Exception {
    var run = migrate(Map.of("HERALD_LOG_FORMAT", "JSON", "HERALD_LOG_LEVEL", "info"));
    assertEquals(0, run.getKey(), run.getValue().toString());
    List<JsonObject> logged = run.getValue().stream().filter(l -> l.startsWith("{")).map(JsonObject::new).toList();
    assertTrue(logged.stream().anyMatch(l -> "INFO".equals(l.getString("level"))
        && l.getString("formattedMessage", "").startsWith("applied migration")), run.getValue().toString());
    assertFalse(logged.stream().anyMatch(l -> "DEBUG".equals(l.getString("level"))), "info means no DEBUG lines");
  }

  @Test
  void aMisspeltLevelOrFormatStopsWithOneLine() throws Exception {
    var level = migrate(Map.of("HERALD_LOG_LEVEL", "warning"));
    assertEquals(2, level.getKey());
    assertEquals(List.of("herald: configuration error: HERALD_LOG_LEVEL: must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, got 'warning'"),
        level.getValue());
    var format = migrate(Map.of("HERALD_LOG_FORMAT", "xml"));
    assertEquals(2, format.getKey());
    assertEquals(List.of("herald: configuration error: HERALD_LOG_FORMAT: must be text or json, got 'xml'"), format.getValue());
  }
}
