package io.herald.push;

import io.herald.fanout.PushFrame;
import io.herald.fanout.PushMessage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/** The sessions of one push verticle instance, by user and by role. Event-loop confined. */
final class SessionRegistry {
  private final Map<String, List<Session>> byUser = new HashMap<>();
  private final Map<String, List<Session>> byRole = new HashMap<>();
  private int size;

  void add(Session s) {
    byUser.computeIfAbsent(s.userId(), k -> new ArrayList<>(2)).add(s);
    for (String role : s.roles()) {
      byRole.computeIfAbsent(role, k -> new ArrayList<>()).add(s);
    }
    size++;
  }

  void remove(Session s) {
    if (removeFrom(byUser, s.userId(), s)) {
      size--;
      for (String role : s.roles()) {
        removeFrom(byRole, role, s);
      }
    }
  }

  private static boolean removeFrom(Map<String, List<Session>> index, String key, Session s) {
    List<Session> list = index.get(key);
    if (list == null || !list.remove(s)) {
      return false;
    }
    if (list.isEmpty()) {
      index.remove(key);
    }
    return true;
  }

  boolean hasUser(String userId) {
    return byUser.containsKey(userId);
  }

  int size() {
    return size;
  }

  /**
   * Writes the message's frame to every matching local session; notifications go through each
   * session's feed. Answers the sessions a role or everyone frame was written to (0 for a user's).
   */
  int deliver(PushMessage m) {
    switch (m.target()) {
      case USER -> {
        List<Session> list = byUser.get(m.key());
        if (list != null) {
          // copy: a send may close a slow session, which removes it from this list
          for (Session s : List.copyOf(list)) {
            if (m.seq() > 0) {
              s.feed().live(m.seq(), m.frame(), m.count().version(), m.countFrame(), m.committedAtMicros());
            } else if (m.count() != null) {
              s.count(m.count().version(), m.countFrame(), false);
            } else if (m.frame() != null) {
              s.send(m.frame());
            }
          }
        }
      }
      case ROLES -> {
        return sendAll(holdersOfAny(m.roles()), m.frame());
      }
      case ALL -> {
        return sendAll(all(), m.frame());
      }
      default -> throw new IllegalArgumentException(m.target().name());
    }
    return 0;
  }

  /** Each session whose user holds at least one of {@code roles}, once. */
  private Collection<Session> holdersOfAny(Set<String> roles) {
    if (roles.size() == 1) {
      List<Session> list = byRole.get(roles.iterator().next());
      return list == null ? List.of() : List.copyOf(list);
    }
    Set<Session> out = Collections.newSetFromMap(new IdentityHashMap<>());
    for (String role : roles) {
      List<Session> list = byRole.get(role);
      if (list != null) {
        out.addAll(list);
      }
    }
    return out;
  }

  /** Writes the same frame to each session (a copy of the index: a send may close a slow one); answers how many took it. */
  private static int sendAll(Collection<Session> sessions, PushFrame frame) {
    int written = 0;
    for (Session s : sessions) {
      if (!s.isClosed()) {
        s.send(frame);
        written += s.isClosed() ? 0 : 1;
      }
    }
    return written;
  }

  private List<Session> all() {
    List<Session> all = new ArrayList<>(size);
    byUser.values().forEach(all::addAll);
    return all;
  }

  void forEach(Consumer<Session> action) {
    all().forEach(action);
  }
}
