package io.herald;

/** Every event-bus address Herald uses, in one place. */
public final class Addresses {
  /** Push messages for this node's push verticle instances (local only: carries pre-serialised frames). */
  public static final String PUSH_LOCAL = "herald.push.local";
  /** "Catch your sockets up from the database": pushes between nodes may have been lost (local only, no body). */
  public static final String PUSH_RESYNC = "herald.push.resync";
  /** Delivery work for an external channel: {@code herald.deliver.email}, ... (delivery issue). */
  public static final String DELIVER_PREFIX = "herald.deliver.";

  /** "An event was accepted": wakes an event expander at once instead of at its next poll. */
  public static final String EVENTS = "herald.events";

  private Addresses() {
  }

  public static String deliver(String channel) {
    return DELIVER_PREFIX + channel;
  }
}
