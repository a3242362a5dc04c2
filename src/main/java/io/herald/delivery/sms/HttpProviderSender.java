package io.herald.delivery.sms;

import io.herald.config.HeraldConfig;
import io.herald.delivery.DeliveryJob;
import io.herald.delivery.InvalidDestinationException;
import io.herald.delivery.ProviderClient;
import io.herald.delivery.Sender;
import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.util.HashMap;
import java.util.Map;

/**
 * SMS or WhatsApp through any provider with a JSON API ({@code provider: http}): the configured
 * method and headers to {@code url}, with a body made from {@code bodyTemplate}. The template is
 * walked as JSON and {@code {{to}}}, {@code {{from}}}, {@code {{title}}}, {@code {{body}}} are
 * replaced inside its string values, so what a notification says is always data in a JSON string,
 * never JSON syntax. A string that is exactly one placeholder whose value is absent becomes
 * {@code null}; inside a longer string an absent value is empty. The provider message id is read
 * from the answer at {@code messageIdPath} (dotted, with array indexes: {@code messages.0.id}).
 */
public final class HttpProviderSender implements Sender {
  private final HeraldConfig.Provider provider;
  private final HttpMethod method;
  private final JsonObject template;
  private final ProviderClient http;

  public HttpProviderSender(Vertx vertx, HeraldConfig.Channel channel) {
    this.provider = channel.provider();
    if (provider.url() == null || provider.url().isBlank()) {
      throw new IllegalArgumentException("channels." + channel.name() + ".url is required for provider http");
    }
    this.method = HttpMethod.valueOf(provider.method());
    this.template = provider.bodyTemplate() instanceof JsonObject t ? t.copy() : new JsonObject();
    this.http = new ProviderClient(vertx, channel.concurrency(), provider.timeoutSeconds());
  }

  @Override
  public Future<String> send(DeliveryJob job) {
    String to;
    try {
      to = InvalidDestinationException.phone(job);
    } catch (InvalidDestinationException e) {
      return Future.failedFuture(e);
    }
    Notification n = job.notification();
    Map<String, String> values = new HashMap<>();
    values.put("to", to);
    values.put("from", provider.from());
    values.put("title", n.title());
    values.put("body", job.part("text") != null ? job.part("text") : n.body()); // a template's text for this channel wins
    Buffer body = fill(template, values).toBuffer();
    HttpRequest<Buffer> request = http.request(method, provider.url()).putHeader("Content-Type", "application/json");
    provider.headers().forEach(request::putHeader); // configured headers win, Content-Type included
    return http.exchange(request.sendBuffer(body)).map(response -> messageId(response.body(), provider.messageIdPath()));
  }

  @Override
  public Future<Void> close() {
    return http.close();
  }

  /** A copy of {@code template} with the placeholders in its string values replaced by {@code values} (null allowed). */
  static JsonObject fill(JsonObject template, Map<String, String> values) {
    JsonObject out = new JsonObject();
    template.forEach(e -> out.put(e.getKey(), fillValue(e.getValue(), values)));
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object fillValue(Object value, Map<String, String> values) {
    if (value instanceof Map<?, ?> map) { // a template decoded from text may hold plain maps and lists
      value = new JsonObject((Map<String, Object>) map);
    } else if (value instanceof java.util.List<?> list) {
      value = new JsonArray(list);
    }
    if (value instanceof JsonObject o) {
      return fill(o, values);
    }
    if (value instanceof JsonArray a) {
      JsonArray out = new JsonArray();
      a.forEach(item -> out.add(fillValue(item, values)));
      return out;
    }
    if (value instanceof String s) {
      return fillString(s, values);
    }
    return value;
  }

  private static String fillString(String s, Map<String, String> values) {
    String whole = s.length() > 4 && s.startsWith("{{") && s.endsWith("}}") ? s.substring(2, s.length() - 2) : null;
    if (whole != null && values.containsKey(whole) && values.get(whole) == null) {
      return null;
    }
    // one pass, left to right, so a value that itself contains "{{body}}" is never expanded again
    StringBuilder out = new StringBuilder(s.length() + 64);
    int i = 0;
    while (i < s.length()) {
      int open = s.indexOf("{{", i);
      int close = open < 0 ? -1 : s.indexOf("}}", open + 2);
      if (open < 0 || close < 0) {
        out.append(s, i, s.length());
        break;
      }
      String name = s.substring(open + 2, close);
      out.append(s, i, open);
      if (values.containsKey(name)) {
        String v = values.get(name);
        out.append(v == null ? "" : v);
      } else {
        out.append(s, open, close + 2); // not ours: leave it as written
      }
      i = close + 2;
    }
    return out.toString();
  }

  /** The value at a dotted {@code path} in a JSON answer, as text; null when the path is null, missing or not a scalar. */
  static String messageId(Buffer answer, String path) {
    if (path == null || path.isBlank() || answer == null || answer.length() == 0) {
      return null;
    }
    Object node;
    try {
      String text = answer.toString().trim();
      node = text.startsWith("{") ? new JsonObject(text) : text.startsWith("[") ? new JsonArray(text) : null;
    } catch (RuntimeException e) {
      return null; // accepted, but not with JSON: the message is still on its way
    }
    for (String key : path.split("\\.")) {
      if (node instanceof JsonObject o) {
        node = o.getValue(key);
      } else if (node instanceof JsonArray a && key.matches("\\d{1,9}") && Integer.parseInt(key) < a.size()) {
        node = a.getValue(Integer.parseInt(key));
      } else {
        return null;
      }
    }
    return node instanceof String || node instanceof Number || node instanceof Boolean ? node.toString() : null;
  }
}
