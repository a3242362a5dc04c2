package io.herald.delivery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP side every HTTP sender shares: one {@link WebClient} per sender with keep-alive
 * connections pooled up to the channel's concurrency, redirects never followed (a provider that
 * moved is a configuration problem, and following could hand the payload to another host),
 * {@code User-Agent: Herald/0.1}, and each call bounded by the channel's timeout. A non-2xx answer
 * becomes a {@link ProviderException}; network errors come back as they are, for the
 * {@link ErrorClassifier}.
 */
public final class ProviderClient {
  public static final String USER_AGENT = "Herald/0.1";
  /** How much of a failed answer is kept for the operator. */
  static final int DETAIL_CHARS = 200;

  private final WebClient client;
  private final long timeoutMillis;

  public ProviderClient(Vertx vertx, int concurrency, int timeoutSeconds) {
    this.timeoutMillis = TimeUnit.SECONDS.toMillis(timeoutSeconds);
    WebClientOptions options = new WebClientOptions()
        .setFollowRedirects(false)
        .setKeepAlive(true)
        .setUserAgent(USER_AGENT)
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeoutMillis));
    this.client = WebClient.create(vertx, options, new PoolOptions().setHttp1MaxSize(concurrency));
  }

  /** A request to an absolute URL; its timeout covers connecting and each wait for data. */
  public HttpRequest<Buffer> request(HttpMethod method, String url) {
    return client.requestAbs(method, url).timeout(timeoutMillis);
  }

  /**
   * What was {@code sent}, bounded as a whole by the timeout (a provider that trickles bytes
   * cannot hold a delivery forever): a 2xx answer, or a {@link ProviderException}.
   */
  public Future<HttpResponse<Buffer>> exchange(Future<HttpResponse<Buffer>> sent) {
    return sent.timeout(timeoutMillis, TimeUnit.MILLISECONDS).compose(response -> {
      int status = response.statusCode();
      return status >= 200 && status < 300 ? Future.succeededFuture(response) : Future.failedFuture(failure(response));
    });
  }

  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  static ProviderException failure(HttpResponse<Buffer> response) {
    int status = response.statusCode();
    if (status >= 300 && status < 400) {
      String location = response.getHeader("Location");
      return new ProviderException(status, null, "redirect not followed: " + status + " to " + (location == null ? "(no Location)" : location));
    }
    return new ProviderException(status, response.getHeader("Retry-After"), detail(response.body()));
  }

  /**
   * The start of a failed answer on one line. A JSON error with a {@code message} (Twilio's
   * {@code {"code": 21211, "message": "..."}} and many others) gives that message and its code.
   */
  static String detail(Buffer body) {
    if (body == null || body.length() == 0) {
      return null;
    }
    String text = body.getString(0, Math.min(body.length(), 4096));
    if (body.length() <= 4096 && text.trim().startsWith("{")) {
      try {
        JsonObject json = new JsonObject(body);
        if (json.getValue("message") instanceof String message) {
          Object code = json.getValue("code");
          text = code == null ? message : code + " " + message;
        }
      } catch (RuntimeException e) {
        // not JSON after all: keep the raw start
      }
    }
    return ErrorClassifier.oneLine(text, DETAIL_CHARS);
  }
}
