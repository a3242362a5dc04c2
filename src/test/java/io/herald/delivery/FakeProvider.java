package io.herald.delivery;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A small HTTP server standing in for an SMS or webhook provider: it records every request (method,
 * path, headers, raw body) and answers as the test tells it to, including not at all or by closing
 * the connection.
 */
public final class FakeProvider implements AutoCloseable {
  public record Received(String method, String path, MultiMap headers, Buffer body) {
  }

  private final HttpServer server;
  private final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  private volatile Consumer<HttpServerRequest> answer = r -> r.response().setStatusCode(200).end();

  private FakeProvider(Vertx vertx) {
    server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      received.add(new Received(request.method().name(), request.path(), MultiMap.caseInsensitiveMultiMap().addAll(request.headers()), body));
      answer.accept(request);
    }));
  }

  public static FakeProvider start(Vertx vertx) {
    FakeProvider p = new FakeProvider(vertx);
    DeliveryFixture.await(p.server.listen(0, "127.0.0.1"));
    return p;
  }

  /** A port nothing listens on (it was free a moment ago). */
  public static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.actualPort() + path;
  }

  public void answer(Consumer<HttpServerRequest> how) {
    answer = how;
  }

  public void answer(int status, String contentType, String body) {
    answer(r -> {
      if (contentType != null) {
        r.response().putHeader("Content-Type", contentType);
      }
      r.response().setStatusCode(status).end(body == null ? "" : body);
    });
  }

  /** The next request the provider received, waiting at most 5 s. */
  public Received next() {
    try {
      Received r = received.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("the provider received no request");
      }
      return r;
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** How many requests arrived that no test has taken with {@link #next()} yet. */
  public int pending() {
    return received.size();
  }

  @Override
  public void close() {
    DeliveryFixture.await(server.close());
  }
}
