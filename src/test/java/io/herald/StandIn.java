package io.herald;

import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A provider stand-in for tests: a real HTTP server on a free port that records every request and
 * answers as it is told (a status with headers and body, no answer at all, or a reset connection).
 */
public final class StandIn implements AutoCloseable {
  public record Request(String method, String path, MultiMap headers, String body, long receivedAtMillis) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  /** What to do with a request. */
  public record Answer(int status, Map<String, String> headers, String body, boolean hangs, boolean resets) {
    public static Answer status(int status) {
      return new Answer(status, new LinkedHashMap<>(), "", false, false);
    }

    public static Answer json(int status, String body) {
      Answer a = status(status);
      a.headers.put("Content-Type", "application/json");
      return new Answer(status, a.headers, body, false, false);
    }

    public static Answer hang() {
      return new Answer(0, Map.of(), null, true, false);
    }

    public static Answer reset() {
      return new Answer(0, Map.of(), null, false, true);
    }

    public Answer header(String name, String value) {
      Map<String, String> h = new LinkedHashMap<>(headers);
      h.put(name, value);
      return new Answer(status, h, body, hangs, resets);
    }
  }

  public final List<Request> requests = new CopyOnWriteArrayList<>();
  private final Vertx vertx = Vertx.vertx();
  private final HttpServer server;
  private volatile Function<Request, Answer> behaviour;

  private StandIn(Function<Request, Answer> behaviour) {
    this.behaviour = behaviour;
    this.server = TestGateway.await(vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1"));
  }

  public static StandIn start(Function<Request, Answer> behaviour) {
    return new StandIn(behaviour);
  }

  public void behave(Function<Request, Answer> next) {
    this.behaviour = next;
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort();
  }

  /** The requests whose body contains {@code text}. */
  public List<Request> containing(String text) {
    return requests.stream().filter(r -> r.body().contains(text)).toList();
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      Request r = new Request(req.method().name(), req.uri(), MultiMap.caseInsensitiveMultiMap().addAll(req.headers()),
          body.toString(), System.currentTimeMillis());
      requests.add(r);
      Answer a = behaviour.apply(r);
      if (a.hangs()) {
        return; // never answers: the client's timeout must fire
      }
      if (a.resets()) {
        req.connection().close();
        return;
      }
      a.headers().forEach(req.response()::putHeader);
      req.response().setStatusCode(a.status()).end(a.body() == null ? "" : a.body());
    });
  }

  @Override
  public void close() {
    TestGateway.await(vertx.close());
  }
}
