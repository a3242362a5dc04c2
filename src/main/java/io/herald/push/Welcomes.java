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
 * Welcomes new sessions with a snapshot of their inbox (unread count, its version, last sequence
 * number). Coalesced: one query at a time for every user waiting since the last, so a reconnect
 * storm costs a few queries, not one per socket. Event-loop confined.
 */
final class Welcomes {
  private static final Logger log = LoggerFactory.getLogger(Welcomes.class);
  private static final int MAX_BATCH = 1000;

  private final NotificationStore store;
  private final Map<String, List<Session>> pending = new LinkedHashMap<>();
  private boolean inFlight;

  Welcomes(NotificationStore store) {
    this.store = store;
  }

  void welcome(Session session) {
    pending.computeIfAbsent(session.userId(), k -> new ArrayList<>(1)).add(session);
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
        batch.forEach((user, sessions) -> {
          InboxState state = result.result().getOrDefault(user, InboxState.EMPTY);
          sessions.forEach(s -> s.welcome(state.count().unread(), state.lastSeq(), state.count().version()));
        });
      } else {
        log.warn("could not read inbox states for {} new sockets: {}", batch.size(), result.cause().getMessage());
        batch.values().forEach(sessions -> sessions.forEach(s -> s.close((short) 1011, "internal error; reconnect")));
      }
      if (!pending.isEmpty()) {
        flush();
      }
    });
  }
}
