package io.herald.push;

import io.herald.store.NotificationStore;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When users last had a socket open, for the unread summaries ({@code digest.unreadSummary}): a
 * user is marked seen when a socket opens or closes, and again every hour while one stays open,
 * in one batched write a minute (or each {@code digest.checkIntervalSeconds} if shorter) per
 * instance. Only the open sessions are remembered.
 */
final class Presence {
  private static final Logger log = LoggerFactory.getLogger(Presence.class);
  static final long REFRESH_MS = 3_600_000;
  static final int CHUNK = 1000;

  private final NotificationStore store;
  private final Map<Session, Long> marked = new IdentityHashMap<>();
  private final Set<String> touched = new TreeSet<>();

  Presence(NotificationStore store) {
    this.store = store;
  }

  void opened(Session session, long now) {
    marked.put(session, now);
    touched.add(session.userId());
  }

  void closed(Session session) {
    if (marked.remove(session) != null) {
      touched.add(session.userId());
    }
  }

  /** Writes who was seen since the last flush, plus the users of sockets open for another hour. */
  Future<Void> flush(long now) {
    marked.replaceAll((session, at) -> {
      if (now - at >= REFRESH_MS) {
        touched.add(session.userId());
        return now;
      }
      return at;
    });
    if (touched.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> users = new ArrayList<>(touched);
    touched.clear();
    return write(users, 0);
  }

  /** A chunk at a time, so a mass reconnect never holds thousands of inbox rows in one statement; what fails is tried next time. */
  private Future<Void> write(List<String> users, int from) {
    if (from >= users.size()) {
      return Future.succeededFuture();
    }
    List<String> chunk = users.subList(from, Math.min(users.size(), from + CHUNK));
    return store.markSeen(chunk).compose(v -> write(users, from + CHUNK), err -> {
      log.debug("could not record {} users as seen, trying again later: {}", users.size() - from, err.getMessage());
      touched.addAll(users.subList(from, users.size()));
      return Future.succeededFuture();
    });
  }
}
