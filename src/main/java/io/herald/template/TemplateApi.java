package io.herald.template;

import io.herald.QueryParams;
import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.ingest.HttpErrors;
import io.herald.ingest.IngestApi;
import io.herald.store.TemplateStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code /v1/templates} (admin scope): create, list, read, replace (as a new version), delete and
 * preview templates. A save is validated whole before anything is written: shape, lengths, that
 * every part compiles, and, when the request carries {@code sampleData}, that every variable a part
 * uses is in it. {@code sampleData} is only checked against, never stored.
 */
public final class TemplateApi {
  private static final Set<String> FIELDS = Set.of("name", "level", "category", "channels", "locales", "sampleData");
  /** What a GET answers besides the template itself: accepted (so an answer can be edited and sent back) and ignored. */
  private static final Set<String> READ_ONLY = Set.of("version", "createdAt", "updatedAt");
  private static final Set<String> PREVIEW_FIELDS = Set.of("data", "locale", "version");
  static final int DEFAULT_LIMIT = 100;
  static final int MAX_LIMIT = 500;

  private final Authenticator auth;
  private final TemplateStore store;

  public TemplateApi(Authenticator auth, TemplateStore store) {
    this.auth = auth;
    this.store = store;
  }

  public void mount(Router router) {
    router.post("/v1/templates").handler(this::create);
    router.get("/v1/templates").handler(this::list);
    router.get("/v1/templates/:name").handler(this::get);
    router.get("/v1/templates/:name/versions/:version").handler(this::getVersion);
    router.put("/v1/templates/:name").handler(this::replace);
    router.delete("/v1/templates/:name").handler(this::delete);
    router.post("/v1/templates/:name/preview").handler(this::preview);
  }

  private void create(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    Template template = parse(IngestApi.jsonBody(ctx), null);
    store.create(template).onSuccess(saved -> {
      if (saved == null) {
        HttpErrors.send(ctx.response(), new HeraldException(409, "duplicate", "name", "a template named '" + template.name()
            + "' already exists; PUT /v1/templates/" + template.name() + " replaces it"));
      } else {
        json(ctx, 201, saved.toJson());
      }
    }).onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    int limit = QueryParams.limit(ctx.request().getParam("limit"), DEFAULT_LIMIT, MAX_LIMIT);
    String after = ctx.request().getParam("after");
    store.list(after, limit + 1).onSuccess(items -> {
      String next = null;
      if (items.size() > limit) {
        items = items.subList(0, limit);
        next = items.get(limit - 1).name();
      }
      JsonArray out = new JsonArray();
      items.forEach(t -> out.add(t.toJson()));
      json(ctx, 200, new JsonObject().put("items", out).put("next", next));
    }).onFailure(ctx::fail);
  }

  private void get(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String name = pathName(ctx);
    store.current(name).onSuccess(t -> found(ctx, t, "no template " + name)).onFailure(ctx::fail);
  }

  private void getVersion(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String name = pathName(ctx);
    int version = version(ctx.pathParam("version"), "version");
    store.version(name, version).onSuccess(t -> found(ctx, t, "template " + name + " has no version " + version)).onFailure(ctx::fail);
  }

  private void replace(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String name = pathName(ctx);
    Template template = parse(IngestApi.jsonBody(ctx), name);
    store.replace(template).onSuccess(saved -> found(ctx, saved, "no template " + name + " (POST /v1/templates creates one)"))
        .onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String name = pathName(ctx);
    store.delete(name).onSuccess(deleted -> {
      if (deleted) {
        ctx.response().setStatusCode(204).end();
      } else {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no template " + name));
      }
    }).onFailure(ctx::fail);
  }

  /** Renders the current (or a given) version with the request's data, as an event would, and says what the data lacked. */
  private void preview(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String name = pathName(ctx);
    JsonObject body = IngestApi.jsonBody(ctx);
    for (String field : body.fieldNames()) {
      if (!PREVIEW_FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: data, locale, version)");
      }
    }
    Object data = body.getValue("data");
    if (data != null && !(data instanceof JsonObject)) {
      throw HeraldException.invalid("data", "must be an object");
    }
    Object locale = body.getValue("locale");
    if (locale != null && (!(locale instanceof String s) || s.length() > 35)) {
      throw HeraldException.invalid("locale", "must be a language tag such as fr-CA");
    }
    Object version = body.getValue("version");
    var found = version == null ? store.current(name) : store.version(name, version(version, "version"));
    found.compose(t -> {
      if (t == null) {
        throw HeraldException.notFound("no template " + name + (version == null ? "" : " version " + version));
      }
      return io.vertx.core.Future.succeededFuture(t);
    }).onSuccess(t -> {
      try {
        Rendered rendered = Renderer.render(t, (String) locale, (JsonObject) data);
        JsonArray missing = new JsonArray();
        Renderer.missing(t.resolve((String) locale).sources(), (JsonObject) data).forEach(m -> missing.add(m.toJson()));
        json(ctx, 200, new JsonObject().put("name", t.name()).put("version", t.version()).put("requestedLocale", locale)
            .put("locale", rendered.locale()).put("channels", rendered.channelsJson()).put("missing", missing));
      } catch (RuntimeException e) {
        ctx.fail(e); // answered by the error handler (a 400 for bad data), never left hanging
      }
    }).onFailure(ctx::fail);
  }

  /** Validates a POST or PUT body; {@code pathName} is the PUT's name (the body may repeat it). */
  private static Template parse(JsonObject body, String pathName) {
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field) && !READ_ONLY.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: name, level, category, channels, locales, sampleData)");
      }
    }
    if (pathName != null) {
      if (body.containsKey("name") && !pathName.equals(body.getValue("name"))) {
        throw HeraldException.invalid("name", "must be the name in the path ('" + pathName + "') or left out");
      }
      body = body.copy().put("name", pathName);
    }
    Template template = Template.parse(body);
    Object sample = body.getValue("sampleData");
    if (sample != null) {
      if (!(sample instanceof JsonObject data)) {
        throw HeraldException.invalid("sampleData", "must be an object");
      }
      checkSample(template.channels().sources(), data);
      template.locales().values().forEach(v -> checkSample(v.sources(), data));
    }
    return template;
  }

  private static void checkSample(Map<Part, Variant.Source> sources, JsonObject data) {
    List<Renderer.Missing> missing = Renderer.missing(sources, data);
    if (!missing.isEmpty()) {
      Renderer.Missing m = missing.get(0);
      throw new HeraldException(400, "missing_variable", m.field(), m.field() + ": uses '" + m.variable() + "' (line " + m.line()
          + "), which sampleData lacks");
    }
  }

  private static String pathName(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (name == null || !Template.NAME.matcher(name).matches()) {
      throw HeraldException.notFound("no template " + name);
    }
    return name;
  }

  private static int version(Object value, String field) {
    if (value instanceof Integer i && i > 0) {
      return i;
    }
    if (value instanceof String s && s.matches("[1-9][0-9]{0,8}")) {
      return Integer.parseInt(s);
    }
    throw HeraldException.invalid(field, "must be a version number (1, 2, ...)");
  }

  private static void found(RoutingContext ctx, Template t, String notFound) {
    if (t == null) {
      HttpErrors.send(ctx.response(), HeraldException.notFound(notFound));
    } else {
      json(ctx, 200, t.toJson());
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
