package io.herald.delivery;

import io.herald.Addresses;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * "Look at delivery {@code id} now": the event-bus message that hands a committed delivery row to
 * its channel's worker. {@code attempts} is the attempts count the sender saw; the worker's claim
 * only succeeds while the row still has it, so a duplicate or stale message can never start a
 * second send of the same attempt. Losing one is harmless: the retry scanner finds the row.
 */
public record Dispatch(UUID id, String channel, int attempts) {
  public JsonObject toJson() {
    return new JsonObject().put("id", id.toString()).put("attempts", attempts);
  }

  public static Dispatch fromJson(String channel, JsonObject json) {
    return new Dispatch(UUID.fromString(json.getString("id")), channel, json.getInteger("attempts"));
  }

  public void send(EventBus bus) {
    bus.send(Addresses.deliver(channel), toJson());
  }
}
