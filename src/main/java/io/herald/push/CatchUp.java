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
 * Brings every open session of one push verticle instance up to date from the database: its unread
 * count, and every notification committed after the last one it was sent. Used after pushes may
 * have been lost between nodes (the Redis link was down), so a socket that stayed open still gets
 * what was published meanwhile without the client having to resume. One query per
 * {@link #BATCH} users, one batch at a time. Event-loop confined.
 */
final class CatchUp {
  private static final Logger log = LoggerFactory.getLogger(CatchUp.class);
  static final int BATCH = 1000;

  private final NotificationStore store;
  private final SessionRegistry sessions;
  private boolean running;
  private boolean again;

  CatchUp(NotificationStore store, SessionRegistry sessions) {
    this.store = store;
    this.sessions = sessions;
  }

  void run() {
    if (running) {
      again = true; // one more pass after this one, for what changed while it ran
      return;
    }
    running = true;
    Map<String, List<Session>> byUser = new LinkedHashMap<>();
    sessions.forEach(s -> {
      if (s.isReady() && !s.isClosed()) {
        byUser.computeIfAbsent(s.userId(), k -> new ArrayList<>(1)).add(s);
      }
    });
    batch(new ArrayList<>(byUser.keySet()), 0, byUser);
  }

  private void batch(List<String> users, int from, Map<String, List<Session>> byUser) {
    if (from >= users.size()) {
      running = false;
      if (again) {
        again = false;
        run();
      }
      return;
    }
    List<String> batch = users.subList(from, Math.min(users.size(), from + BATCH));
    store.inboxStates(batch).onComplete(result -> {
      if (result.succeeded()) {
        for (String user : batch) {
          InboxState state = result.result().get(user);
          if (state != null) {
            byUser.get(user).forEach(s -> s.catchUp(state));
          }
        }
      } else {
        // these sockets are told to reconnect and resume rather than left behind
        log.warn("could not read inbox states to catch {} users' sockets up: {}", batch.size(), result.cause().getMessage());
        batch.forEach(user -> byUser.get(user).forEach(s -> s.close((short) 1011, "internal error; reconnect and resume")));
      }
      batch(users, from + BATCH, byUser);
    });
  }
}
