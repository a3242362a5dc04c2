package io.herald.store;

import java.time.OffsetDateTime;
import java.util.List;

/**
 * What the health monitor knows of one external channel at one moment, from its attempts and its
 * waiting deliveries. Attempts in the last hour: {@code failed} (outcome failed or dead), {@code
 * finished} (sent, failed or dead: the attempts a rate is taken over), {@code credentials} (error
 * class credentials, with the HTTP statuses seen). In the last 24 h: {@code permanent} (error class
 * permanent or credentials). Waiting: {@code due} deliveries whose time has come, {@code overdue}
 * those of them due for longer than the backlog threshold, and since when the oldest has been due.
 */
public record ChannelHealth(String channel, long failed, long finished, long credentials, List<Integer> credentialStatuses,
                            long permanent, long due, long overdue, OffsetDateTime oldestDueSince) {
  /** A channel with nothing to report. */
  public static ChannelHealth quiet(String channel) {
    return new ChannelHealth(channel, 0, 0, 0, List.of(), 0, 0, 0, null);
  }
}
