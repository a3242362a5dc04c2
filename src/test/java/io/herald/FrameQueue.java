package io.herald;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.Supplier;

/** Frames a test client received and has not taken yet; tests wait on it with a deadline. */
public final class FrameQueue {
  private final List<JsonObject> frames = new ArrayList<>();
  private final Supplier<String> state;

  /** {@code state} describes the connection in failure messages (open, closed with what). */
  public FrameQueue(Supplier<String> state) {
    this.state = state;
  }

  public void add(JsonObject frame) {
    synchronized (frames) {
      frames.add(frame);
      frames.notifyAll();
    }
  }

  /** The first not-yet-taken frame matching {@code match}, waiting up to {@code timeoutMs}; fails the test otherwise. */
  public JsonObject next(Predicate<JsonObject> match, long timeoutMs, String what) {
    long deadline = System.currentTimeMillis() + timeoutMs;
    synchronized (frames) {
      while (true) {
        for (Iterator<JsonObject> it = frames.iterator(); it.hasNext(); ) {
          JsonObject f = it.next();
          if (match.test(f)) {
            it.remove();
            return f;
          }
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          throw new AssertionError("no " + what + " frame within " + timeoutMs + " ms; got " + frames + "; " + state.get());
        }
        try {
          frames.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Asserts that no frame of {@code type} arrives within {@code ms}. */
  public void expectNone(String type, long ms) {
    long deadline = System.currentTimeMillis() + ms;
    synchronized (frames) {
      while (true) {
        for (JsonObject f : frames) {
          if (type.equals(f.getString("type"))) {
            throw new AssertionError("unexpected " + type + " frame: " + f);
          }
        }
        long left = deadline - System.currentTimeMillis();
        if (left <= 0) {
          return;
        }
        try {
          frames.wait(left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError(e);
        }
      }
    }
  }

  /** Frames received and not yet taken, in arrival order. */
  public List<JsonObject> pending() {
    synchronized (frames) {
      return new ArrayList<>(frames);
    }
  }
}
