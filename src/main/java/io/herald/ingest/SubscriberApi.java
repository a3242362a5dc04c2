package io.herald.ingest;

import io.herald.HeraldException;
import io.herald.auth.Authenticator;
import io.herald.config.HeraldConfig;
import io.vertx.pgclient.PgException;
import io.herald.store.SubscriberStore;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code PUT/GET/DELETE /v1/subscribers/{userId}} (admin or ingest scope): where to reach a user on
 * the external channels, their locale and roles, and their opt-outs. PUT replaces the whole
 * subscriber; a field left out is cleared.
 */
public final class SubscriberApi {
  private static final Set<String> FIELDS = Set.of("email", "phone", "whatsapp", "locale", "timeZone", "roles", "preferences");
  private static final Pattern LOCALE = Pattern.compile("[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8}){0,3}");
  private static final Pattern ROLE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,63}");
  private static final Pattern CATEGORY = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}");
  static final int MAX_ROLES = 50;
  static final int MAX_CATEGORY_PREFERENCES = 200;

  private final Authenticator auth;
  private final SubscriberStore store;

  public SubscriberApi(Authenticator auth, SubscriberStore store) {
    this.auth = auth;
    this.store = store;
  }

  public void mount(Router router) {
    router.put("/v1/subscribers/:userId").handler(this::put);
    router.get("/v1/subscribers/:userId").handler(this::get);
    router.delete("/v1/subscribers/:userId").handler(this::delete);
  }

  private void put(RoutingContext ctx) {
    auth.requireScope(ctx, "admin", "ingest");
    String userId = Fields.userId("userId", ctx.pathParam("userId"));
    JsonObject body = IngestApi.jsonBody(ctx);
    for (String field : body.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw HeraldException.invalid(field, "unknown field (known: email, locale, phone, preferences, roles, timeZone, whatsapp)");
      }
    }
    String email = Fields.email(body, "email");
    String phone = Fields.phone(body, "phone");
    String whatsapp = Fields.phone(body, "whatsapp");
    String locale = Fields.text(body, "locale", 35, false);
    if (locale != null && !LOCALE.matcher(locale).matches()) {
      throw HeraldException.invalid("locale", "must be a language tag such as en, fr or pt-BR");
    }
    String timeZone = Fields.text(body, "timeZone", 64, false);
    if (timeZone != null && !HeraldConfig.validZone(timeZone)) {
      throw HeraldException.invalid("timeZone", "must be an IANA time zone such as UTC, Europe/Paris or America/New_York");
    }
    List<String> roles = roles(body.getValue("roles"));
    JsonObject preferences = preferences(body.getValue("preferences"));
    store.put(userId, email, phone, whatsapp, locale, timeZone, roles, preferences).onSuccess(saved -> ctx.response()
            .setStatusCode(saved.created() ? 201 : 200).putHeader("Content-Type", "application/json")
            .end(saved.subscriber().toJson().encode()))
        .onFailure(err -> ctx.fail(err instanceof PgException pg && "22023".equals(pg.getSqlState())
            // a zone Java knows and this PostgreSQL does not: the subscriber's mistake, not the server's
            ? HeraldException.invalid("timeZone", "is not a time zone this database knows") : err));
  }

  private void get(RoutingContext ctx) {
    auth.requireScope(ctx, "admin", "ingest");
    String userId = Fields.userId("userId", ctx.pathParam("userId"));
    store.get(userId).onSuccess(s -> {
      if (s == null) {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no subscriber " + userId));
      } else {
        ctx.response().putHeader("Content-Type", "application/json").end(s.toJson().encode());
      }
    }).onFailure(ctx::fail);
  }

  private void delete(RoutingContext ctx) {
    auth.requireScope(ctx, "admin");
    String userId = Fields.userId("userId", ctx.pathParam("userId"));
    store.delete(userId).onSuccess(found -> {
      if (found) {
        ctx.response().setStatusCode(204).end();
      } else {
        HttpErrors.send(ctx.response(), HeraldException.notFound("no subscriber " + userId));
      }
    }).onFailure(ctx::fail);
  }

  /** A list of at most {@link #MAX_ROLES} distinct role names (also for broadcasts); absent is empty. */
  static List<String> roles(Object value) {
    if (value == null) {
      return List.of();
    }
    if (!(value instanceof JsonArray list) || list.size() > MAX_ROLES) {
      throw HeraldException.invalid("roles", "must be a list of at most " + MAX_ROLES + " role names");
    }
    Set<String> out = new LinkedHashSet<>();
    for (int i = 0; i < list.size(); i++) {
      if (!(list.getValue(i) instanceof String role) || !ROLE.matcher(role).matches()) {
        throw HeraldException.invalid("roles[" + i + "]", "must be a role name (letters, digits and . _ : -, at most 64)");
      }
      out.add(role);
    }
    return new ArrayList<>(out);
  }

  /**
   * {"channels": {name: choice}, "categories": {name: choice}, "digest": {"hour", "day",
   * "unreadSummary"}}, where a choice is true, false or {"digest": "daily"|"weekly"} (e-mail only):
   * stored as given, read by ingest's and the digests' SQL.
   */
  private static JsonObject preferences(Object value) {
    if (value == null) {
      return new JsonObject();
    }
    if (!(value instanceof JsonObject prefs)) {
      throw HeraldException.invalid("preferences", "must be an object {\"channels\": {...}, \"categories\": {...}, \"digest\": {...}}");
    }
    JsonObject out = new JsonObject();
    for (String key : prefs.fieldNames()) {
      if (key.equals("digest")) {
        out.put(key, schedule(prefs.getValue(key)));
        continue;
      }
      if (!key.equals("channels") && !key.equals("categories")) {
        throw HeraldException.invalid("preferences." + key, "unknown field (known: channels, categories, digest)");
      }
      if (!(prefs.getValue(key) instanceof JsonObject map)) {
        throw HeraldException.invalid("preferences." + key, "must be an object of names to true/false");
      }
      if (map.size() > MAX_CATEGORY_PREFERENCES) {
        throw HeraldException.invalid("preferences." + key, "may hold at most " + MAX_CATEGORY_PREFERENCES + " entries");
      }
      JsonObject checked = new JsonObject();
      for (String name : map.fieldNames()) {
        String at = "preferences." + key + "." + name;
        if (key.equals("channels") && !HeraldConfig.CHANNEL_NAMES.contains(name)) {
          throw HeraldException.invalid(at, "unknown channel (known: " + String.join(", ", HeraldConfig.CHANNEL_NAMES) + ")");
        }
        if (key.equals("categories") && !CATEGORY.matcher(name).matches()) {
          throw HeraldException.invalid(at, "is not a category name");
        }
        checked.put(name, choice(at, key.equals("categories") || name.equals("email"), map.getValue(name)));
      }
      out.put(key, checked);
    }
    return out;
  }

  private static final Set<String> PERIODS = Set.of("daily", "weekly");

  /** true, false, or (e-mail only) {"digest": "daily"|"weekly"}. */
  private static Object choice(String at, boolean digestible, Object value) {
    if (value instanceof Boolean) {
      return value;
    }
    if (digestible && value instanceof JsonObject o && o.size() == 1 && o.getValue("digest") instanceof String period
        && PERIODS.contains(period)) {
      return o.copy();
    }
    throw HeraldException.invalid(at, digestible ? "must be true, false or {\"digest\": \"daily\"} (or \"weekly\")"
        : "must be true or false (digests are e-mails: only channels.email and categories take {\"digest\": ...})");
  }

  /** When this subscriber's digests go: {"hour": 0..23, "day": "monday".., "unreadSummary": bool}, each optional. */
  private static JsonObject schedule(Object value) {
    if (!(value instanceof JsonObject o)) {
      throw HeraldException.invalid("preferences.digest", "must be an object {\"hour\", \"day\", \"unreadSummary\"}");
    }
    JsonObject out = new JsonObject();
    for (String key : o.fieldNames()) {
      Object v = o.getValue(key);
      switch (key) {
        case "hour" -> {
          if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0 || ((Number) v).longValue() > 23) {
            throw HeraldException.invalid("preferences.digest.hour", "must be a whole hour from 0 to 23");
          }
          out.put(key, ((Number) v).intValue());
        }
        case "day" -> {
          if (!(v instanceof String day) || !HeraldConfig.DAYS.contains(day)) {
            throw HeraldException.invalid("preferences.digest.day", "must be a day of the week in lower case: monday .. sunday");
          }
          out.put(key, day);
        }
        case "unreadSummary" -> {
          if (!(v instanceof Boolean b)) {
            throw HeraldException.invalid("preferences.digest.unreadSummary", "must be true or false");
          }
          out.put(key, b);
        }
        default -> throw HeraldException.invalid("preferences.digest." + key, "unknown field (known: hour, day, unreadSummary)");
      }
    }
    return out;
  }
}
