package io.herald.ingest;

import io.herald.QueryParams;
import io.herald.HeraldException;
import io.herald.store.Ids;
import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/** A page request on an inbox, from HTTP query parameters or a {@code list} frame, validated. */
public record InboxQuery(NotificationStore.Filter filter, UUID before, int limit) {
  public static final int DEFAULT_LIMIT = 50;
  public static final int MAX_LIMIT = 100;

  public static InboxQuery fromParams(MultiMap params) {
    return of(bool(params.get("unread")), params.get("category"), params.get("level"), params.get("before"), params.get("limit"));
  }

  public static InboxQuery fromFrame(JsonObject frame) {
    Object unread = frame.getValue("unread");
    if (unread != null && !(unread instanceof Boolean)) {
      throw HeraldException.invalid("unread", "must be true or false");
    }
    Object limit = frame.getValue("limit");
    if (limit != null && !(limit instanceof Number)) {
      throw HeraldException.invalid("limit", "must be a number from 1 to " + MAX_LIMIT);
    }
    for (String field : new String[] {"category", "level", "before"}) {
      if (frame.getValue(field) != null && !(frame.getValue(field) instanceof String)) {
        throw HeraldException.invalid(field, "must be a string");
      }
    }
    String limitText = null;
    if (limit instanceof Number n) {
      limitText = n.doubleValue() == Math.rint(n.doubleValue()) ? String.valueOf(n.longValue()) : "not whole";
    }
    return of((Boolean) unread, frame.getString("category"), frame.getString("level"), frame.getString("before"), limitText);
  }

  private static InboxQuery of(Boolean unread, String category, String level, String before, String limitText) {
    int limit = QueryParams.limit(limitText, DEFAULT_LIMIT, MAX_LIMIT);
    if (level != null && !NotificationRequest.LEVELS.contains(level)) {
      throw HeraldException.invalid("level", "must be one of info, success, warning, error");
    }
    if (category != null && (category.isEmpty() || category.length() > 100)) {
      throw HeraldException.invalid("category", "must be 1 to 100 characters");
    }
    UUID cursor = null;
    if (before != null) {
      cursor = Ids.parse(before);
      if (cursor == null) {
        throw new HeraldException(400, "invalid_cursor", "before", "before: not a cursor; use the \"next\" value of the previous page");
      }
    }
    return new InboxQuery(new NotificationStore.Filter(Boolean.TRUE.equals(unread) ? Boolean.TRUE : null, category, level), cursor, limit);
  }

  private static Boolean bool(String text) {
    if (text == null) {
      return null;
    }
    if (!text.equals("true") && !text.equals("false")) {
      throw HeraldException.invalid("unread", "must be true or false");
    }
    return Boolean.parseBoolean(text);
  }

  /** Runs the query; a cursor that is not in this inbox is a 400. */
  public Future<NotificationStore.Page> run(NotificationStore store, String user) {
    if (before == null) {
      return store.list(user, filter, null, limit);
    }
    return store.seqOf(user, before).compose(seq -> {
      if (seq == null) {
        throw new HeraldException(400, "invalid_cursor", "before", "before: no such notification in this inbox");
      }
      return store.list(user, filter, seq, limit);
    });
  }
}
