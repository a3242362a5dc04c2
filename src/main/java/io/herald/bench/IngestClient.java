package io.herald.bench;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;

/** Posts notifications to {@code POST /v1/notifications}; every call ends in an {@link Outcome}, never a failed future. */
public final class IngestClient {
  /** How one request went: the status (0 when no response came), why it failed (null on 2xx), and how long it took. */
  public record Outcome(int status, String failure, long nanos) {
    public boolean ok() {
      return failure == null;
    }
  }

  private final HttpClientAgent client;
  private final String authorization;

  public IngestClient(Vertx vertx, Target target, int poolSize) {
    this.client = target.httpClient(vertx, poolSize);
    this.authorization = target.authorization();
  }

  public Future<Outcome> post(Buffer body) {
    return post("/v1/notifications", body);
  }

  /** POSTs {@code body} to another API path ({@code /v1/broadcasts}, {@code /v1/events}) with the same key. */
  public Future<Outcome> post(String uri, Buffer body) {
    long start = System.nanoTime();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(HttpHeaders.AUTHORIZATION, authorization)
        .add(HttpHeaders.CONTENT_TYPE, "application/json");
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setURI(uri).setHeaders(headers)
        .setIdleTimeout(30_000);
    return client.request(options)
        .compose(req -> req.send(body))
        .compose(resp -> resp.body().map(b -> {
          int status = resp.statusCode();
          long nanos = System.nanoTime() - start;
          return status / 100 == 2 ? new Outcome(status, null, nanos) : new Outcome(status, "HTTP " + status + errorCode(b), nanos);
        }))
        .otherwise(err -> new Outcome(0, Tally.reason(err), System.nanoTime() - start));
  }

  public Future<Void> close() {
    return client.close();
  }

  private static String errorCode(Buffer body) {
    try {
      return " " + new JsonObject(body).getJsonObject("error").getString("code");
    } catch (RuntimeException e) {
      return "";
    }
  }

  /** A single-recipient body; {@code data} travels to the socket unchanged. */
  public static Buffer single(String recipient, JsonObject data) {
    return Buffer.buffer(content(data).put("recipient", recipient).encode());
  }

  public static Buffer multi(List<String> recipients, JsonObject data) {
    return Buffer.buffer(content(data).put("recipients", new JsonArray(recipients)).encode());
  }

  private static JsonObject content(JsonObject data) {
    return new JsonObject().put("title", "Bench notification").put("body", "Sent by herald bench to measure the gateway.")
        .put("category", "bench").put("level", "info").put("data", data);
  }
}
