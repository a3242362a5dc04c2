package io.herald.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.JarProcess;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged jar as a real process: SIGTERM makes readiness false, closes sockets with 1001,
 * lets an in-flight request finish, then exits 0. Also: a bad configuration stops start-up with
 * one line naming the key, and the default start-up log says where to connect without leaking
 * secrets.
 */
class GracefulStopIT {
  @TempDir
  Path dir;

  private Process start(JsonObject conf, Path log) throws Exception {
    return JarProcess.start(dir, conf, log);
  }

  private static TestSocket connect(Vertx vertx, int port) {
    WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
        .setURI("/v1/ws?token=" + TestGateway.token("draining-user"))
        .setHeaders(MultiMap.caseInsensitiveMultiMap().add("Origin", "http://app.example")).setAllowOriginHeader(true);
    return TestGateway.await(io.herald.TestSocketAccess.connect(vertx, options));
  }

  private static int status(int port, String path) {
    return JarProcess.status(port, path);
  }

  // SIGTERM: not ready, sockets get 1001, the request in flight is answered, the process exits 0.
  @Test
  void sigtermDrainsAndExitsZero() throws Exception {
    int port = TestGateway.freePort();
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    JsonObject conf = new JsonObject()
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", port).put("shutdownTimeoutSeconds", 10))
        .put("postgres", new JsonObject().put("schema", schema))
        .put("auth", new JsonObject()
            .put("apiKeys", new JsonArray().add(new JsonObject().put("name", "it").put("key", TestGateway.INGEST_KEY)
                .put("scopes", new JsonArray().add("ingest"))))
            .put("jwt", new JsonObject().put("secret", TestGateway.JWT_SECRET)));
    Path log = dir.resolve("out.log");
    Process process = start(conf, log);
    Vertx vertx = Vertx.vertx();
    try {
      TestGateway.eventually(() -> status(port, "/health/ready") == 200, "the gateway to become ready");
      TestSocket socket = connect(vertx, port);
      socket.next("welcome");

      // A request in flight: headers and half the body sent before SIGTERM, the rest after.
      byte[] body = new JsonObject().put("recipient", "draining-user").put("title", "sent while stopping").encode()
          .getBytes(StandardCharsets.UTF_8);
      try (Socket raw = new Socket("127.0.0.1", port)) {
        OutputStream out = raw.getOutputStream();
        out.write(("POST /v1/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestGateway.INGEST_KEY
            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, body.length / 2);
        out.flush();
        Thread.sleep(200);

        process.destroy(); // SIGTERM
        TestSocket.Closed closed = socket.awaitClose();
        assertEquals((short) 1001, closed.code());
        assertTrue(closed.reason().startsWith("going away"), closed.reason());
        TestGateway.eventually(() -> status(port, "/health/ready") != 200, "readiness to go false");
        assertTrue(process.isAlive(), "still draining the request in flight");

        out.write(body, body.length / 2, body.length - body.length / 2);
        out.flush();
        InputStream in = raw.getInputStream();
        String response = new String(in.readNBytes(12), StandardCharsets.US_ASCII);
        assertEquals("HTTP/1.1 202", response);
      }
      assertTrue(process.waitFor(20, TimeUnit.SECONDS), "the process exits after draining");
      assertEquals(0, process.exitValue());
      assertTrue(Files.readString(log).contains("stopped"));
    } catch (Throwable t) {
      throw new AssertionError(t.getMessage() + "\n--- gateway log ---\n" + Files.readString(log), t);
    } finally {
      process.destroyForcibly();
      TestGateway.await(vertx.close());
      dropSchema(schema);
    }
  }

  // A bad value stops start-up with one line naming the key and a non-zero exit.
  @Test
  void badConfigurationStopsStartUp() throws Exception {
    Path log = dir.resolve("bad.log");
    Process process = start(new JsonObject().put("push", new JsonObject().put("maxFrameBytes", "big")), log);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS));
    assertEquals(2, process.exitValue());
    String out = Files.readString(log).strip();
    assertTrue(out.lines().anyMatch(l -> l.equals("herald: configuration error: push.maxFrameBytes: must be a number, got big")), out);
  }

  // With the default keys, the start-up log says where to connect and how to get a token, and masks secrets.
  @Test
  void startUpLogExplainsAndMasks() throws Exception {
    int port = TestGateway.freePort();
    String schema = "it_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    Path log = dir.resolve("default.log");
    Process process = start(new JsonObject().put("http", new JsonObject().put("port", port))
        .put("postgres", new JsonObject().put("schema", schema)), log);
    try {
      TestGateway.eventually(() -> status(port, "/health/ready") == 200, "the gateway to become ready");
      String out = Files.readString(log);
      assertTrue(out.contains("http://127.0.0.1:" + port), out);
      assertTrue(out.contains("token --user"), out);
      assertFalse(out.contains("change-me-too"), "the JWT secret is masked");
      assertFalse(out.contains("\"change-me\""), "the API key is masked");
    } finally {
      process.destroy();
      process.waitFor(20, TimeUnit.SECONDS);
      process.destroyForcibly();
      dropSchema(schema);
    }
  }

  private static void dropSchema(String schema) {
    JarProcess.dropSchema(schema);
  }
}
