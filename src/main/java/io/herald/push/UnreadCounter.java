package io.herald.push;

import io.herald.store.NotificationStore;
import io.herald.store.NotificationStore.InboxState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads inbox state (unread count and last sequence number) for this instance's sessions: for
 * welcomes, and to send fresh {@code unread} frames after anything changed a count. Requests are
 * coalesced: one query runs at a time for every user asked for since the last one, and results
 * are applied in the order the queries were issued, so a badge never goes back to a stale count.
 * Event-loop confined.
 */
final class UnreadCounter {
  private static final Logger log = LoggerFactory.getLogger(UnreadCounter.class);
  private static final int MAX_BATCH = 1000;

  private final NotificationStore store;
  private final SessionRegistry sessions;
  /** Users to read, each with the sessions waiting for their welcome. */
  private final Map<String, List<Session>> pending = new LinkedHashMap<>();
  private boolean inFlight;

  UnreadCounter(NotificationStore store, SessionRegistry sessions) {
    this.store = store;
    this.sessions = sessions;
  }

  /** Sends the new count to every welcomed socket of the user on this instance. */
  void refresh(String userId) {
    if (sessions.hasUser(userId)) {
      pending.computeIfAbsent(userId, k -> new ArrayList<>(1));
      flushSoon();
    }
  }

  /** Welcomes a new session with a snapshot of its user's inbox. */
  void welcome(Session session) {
    pending.computeIfAbsent(session.userId(), k -> new ArrayList<>(1)).add(session);
    flushSoon();
  }

  private void flushSoon() {
    if (!inFlight) {
      flush();
    }
  }

  private void flush() {
    Map<String, List<Session>> batch = new LinkedHashMap<>();
    var it = pending.entrySet().iterator();
    while (it.hasNext() && batch.size() < MAX_BATCH) {
      var e = it.next();
      batch.put(e.getKey(), e.getValue());
      it.remove();
    }
    inFlight = true;
    store.inboxStates(batch.keySet()).onComplete(result -> {
      inFlight = false;
      if (result.succeeded()) {
        apply(batch, result.result());
      } else {
        log.warn("could not read unread counts for {} users: {}", batch.size(), result.cause().getMessage());
        batch.values().forEach(waiting -> waiting.forEach(s -> s.close((short) 1011, "internal error; reconnect")));
      }
      if (!pending.isEmpty()) {
        flush();
      }
    });
  }

  private void apply(Map<String, List<Session>> batch, Map<String, InboxState> states) {
    batch.forEach((user, welcoming) -> {
      InboxState state = states.getOrDefault(user, InboxState.EMPTY);
      for (Session s : welcoming) {
        s.welcome(Frames.welcome(user, state.unread()), state.lastSeq());
      }
      sessions.sendToReady(user, Frames.unread(state.unread()), welcoming);
    });
  }
}
