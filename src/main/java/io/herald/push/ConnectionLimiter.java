package io.herald.push;

import java.util.concurrent.ConcurrentHashMap;

/** Counts each user's open sockets across every push verticle instance of this process. */
public final class ConnectionLimiter {
  private final ConcurrentHashMap<String, Integer> open = new ConcurrentHashMap<>();
  private final int max;

  public ConnectionLimiter(int max) {
    this.max = max;
  }

  public boolean tryAcquire(String userId) {
    boolean[] ok = {false};
    open.compute(userId, (k, n) -> {
      int current = n == null ? 0 : n;
      if (current >= max) {
        return n;
      }
      ok[0] = true;
      return current + 1;
    });
    return ok[0];
  }

  public void release(String userId) {
    open.computeIfPresent(userId, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Whether the user has a socket open (or opening) in this process. */
  public boolean connected(String userId) {
    return open.containsKey(userId);
  }

  public int total() {
    return open.values().stream().mapToInt(Integer::intValue).sum();
  }

  public int max() {
    return max;
  }
}
