package io.herald.push;

import io.herald.store.NotificationStore;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends fresh unread counts to this instance's sockets after anything changed them. Requests are
 * coalesced: one query runs at a time for all users asked for since the last one, and results
 * are applied in the order the queries were issued, so a badge never goes back to a stale count.
 */
final class UnreadCounter {
  private static final Logger log = LoggerFactory.getLogger(UnreadCounter.class);
  private static final int MAX_BATCH = 1000;

  private final NotificationStore store;
  private final SessionRegistry sessions;
  private final Set<String> pending = new LinkedHashSet<>();
  private boolean inFlight;

  UnreadCounter(NotificationStore store, SessionRegistry sessions) {
    this.store = store;
    this.sessions = sessions;
  }

  void request(String userId) {
    if (sessions.hasUser(userId)) {
      pending.add(userId);
      if (!inFlight) {
        flush();
      }
    }
  }

  private void flush() {
    List<String> batch = pending.stream().limit(MAX_BATCH).toList();
    batch.forEach(pending::remove);
    inFlight = true;
    store.unreadCounts(batch).onComplete(result -> {
      inFlight = false;
      if (result.succeeded()) {
        for (String user : batch) {
          sessions.sendToUser(user, Frames.unread(result.result().getOrDefault(user, 0)));
        }
      } else {
        log.warn("could not count unread notifications for {} users: {}", batch.size(), result.cause().getMessage());
      }
      if (!pending.isEmpty()) {
        flush();
      }
    });
  }
}
