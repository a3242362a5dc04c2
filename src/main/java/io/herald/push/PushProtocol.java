package io.herald.push;

import io.herald.HeraldException;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.ingest.InboxQuery;
import io.herald.ops.Meters;
import io.herald.store.Ids;
import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers client frames ({@code ping, ack, read, unread, read_all, delete, list, resume}) for
 * one push verticle instance. A frame that is not a JSON object with a {@code type} closes the
 * socket with a reason; a well-formed frame with bad contents gets an {@code error} frame. A
 * {@code resume} the database cannot serve closes the socket with 1011, so the client resumes again.
 */
final class PushProtocol {
  private static final Logger log = LoggerFactory.getLogger(PushProtocol.class);
  static final int MAX_IDS = 500;
  static final int FRAMES_PER_SECOND = 100;

  private final NotificationStore store;
  private final Fanout fanout;
  private final Meters.Push meters;

  PushProtocol(NotificationStore store, Fanout fanout, Meters.Push meters) {
    this.store = store;
    this.fanout = fanout;
    this.meters = meters;
  }

  void handle(Session s, String text) {
    if (s.isClosed()) {
      return;
    }
    if (!s.isReady()) {
      s.afterWelcome(() -> handle(s, text));
      return;
    }
    if (!s.admitFrame(FRAMES_PER_SECOND)) {
      s.close(Session.POLICY, "too many frames: at most " + FRAMES_PER_SECOND + " per second");
      return;
    }
    JsonObject frame;
    try {
      frame = new JsonObject(text);
    } catch (DecodeException | ClassCastException e) {
      s.close(Session.POLICY, "malformed frame: not a JSON object");
      return;
    }
    if (!(frame.getValue("type") instanceof String type)) {
      s.close(Session.POLICY, "malformed frame: no \"type\"");
      return;
    }
    try {
      dispatch(s, type, frame).onFailure(err -> fail(s, type, err));
    } catch (HeraldException e) {
      fail(s, type, e);
    }
  }

  private Future<?> dispatch(Session s, String type, JsonObject frame) {
    String user = s.userId();
    switch (type) {
      case "ping" -> {
        s.send(Frames.PONG);
        return Future.succeededFuture();
      }
      case "ack" -> {
        UUID id = Ids.parse(frame.getValue("id"));
        if (id == null) {
          throw HeraldException.invalid("id", "must be a notification id");
        }
        return store.markDelivered(user, List.of(id));
      }
      case "read" -> {
        return store.markRead(user, ids(frame)).onSuccess(change -> changed(user, change));
      }
      case "unread" -> {
        return store.markUnread(user, ids(frame)).onSuccess(change -> changed(user, change));
      }
      case "delete" -> {
        return store.delete(user, ids(frame)).onSuccess(change -> changed(user, change));
      }
      case "read_all" -> {
        return store.markAllRead(user).onSuccess(change -> changed(user, change));
      }
      case "list" -> {
        return InboxQuery.fromFrame(frame).run(store, user).onSuccess(page -> s.send(Frames.list(page)));
      }
      case "resume" -> {
        UUID after = Ids.parse(frame.getValue("after"));
        if (after == null) {
          throw HeraldException.invalid("after", "must be the id of the last notification the client saw");
        }
        return store.seqOf(user, after).compose(seq -> {
          if (seq == null) {
            throw new HeraldException(400, "unknown_cursor", "after",
                "after: no notification " + after + " in this inbox (deleted long ago?); send a list instead");
          }
          return resumeFrom(s, seq);
        });
      }
      default -> throw new HeraldException(400, "unknown_type", "type", "unknown frame type '" + abbreviate(type) + "'");
    }
  }

  /** Every socket of the user, on every node, gets the new count. */
  private void changed(String user, NotificationStore.Change change) {
    fanout.publish(PushMessage.unread(user, change.count()));
  }

  /** Replays what came after {@code seq} through the session's ordered feed, then always the current unread count. */
  private Future<Void> resumeFrom(Session s, long seq) {
    return s.feed().resume(seq).onSuccess(meters::resumed).compose(v -> store.inboxStates(List.of(s.userId())))
        .onSuccess(states -> {
          NotificationStore.InboxState state = states.getOrDefault(s.userId(), NotificationStore.InboxState.EMPTY);
          s.count(state.count().version(), Frames.unread(state.count().unread()), true);
        }).mapEmpty();
  }

  private static List<UUID> ids(JsonObject frame) {
    if (!(frame.getValue("ids") instanceof JsonArray list) || list.isEmpty() || list.size() > MAX_IDS) {
      throw HeraldException.invalid("ids", "must be a list of 1 to " + MAX_IDS + " notification ids");
    }
    List<UUID> out = new ArrayList<>(list.size());
    for (Object item : list) {
      UUID id = Ids.parse(item);
      if (id == null) {
        throw HeraldException.invalid("ids", "'" + abbreviate(String.valueOf(item)) + "' is not a notification id");
      }
      out.add(id);
    }
    return out;
  }

  private static void fail(Session s, String type, Throwable err) {
    if (err instanceof HeraldException h) {
      s.send(Frames.error(h.code(), h.getMessage()));
    } else if ("resume".equals(type)) {
      // what the client missed cannot be replayed now (the database failed): an error frame would
      // leave it without those notifications until some later reconnect, so it reconnects (with its
      // backoff) and resumes again, as when the feed cannot catch a socket up
      log.warn("a resume failed; closing the socket so the client resumes again: {}", err.toString());
      s.close((short) 1011, "internal error; reconnect and resume");
    } else {
      log.warn("push frame {} failed for a session: {}", abbreviate(type), err.toString());
      s.send(Frames.error("unavailable", "could not complete '" + abbreviate(type) + "'; try again"));
    }
  }

  private static String abbreviate(String text) {
    String clean = text.replaceAll("[\\p{Cntrl}]", "?");
    return clean.length() > 40 ? clean.substring(0, 40) + "..." : clean;
  }
}
