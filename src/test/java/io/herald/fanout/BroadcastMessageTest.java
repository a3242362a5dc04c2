package io.herald.fanout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Broadcast push messages as they would cross the cluster, and the per-node count of sockets reached. */
class BroadcastMessageTest {
  private static final PushFrame FRAME = PushFrame.of(new JsonObject().put("type", "broadcast").put("message", "hi"));

  @Test
  void roleBroadcastSurvivesItsJsonForm() {
    // target, broadcast id, roles and frame come back; the node-local reach does not travel
    PushMessage m = PushMessage.broadcast("b1", Set.of("ops", "oncall"), FRAME).withReach(new Reach(1, n -> { }));
    PushMessage back = PushMessage.fromJson(new JsonObject(m.toJson().encode()));
    assertEquals(PushMessage.Target.ROLES, back.target());
    assertEquals("b1", back.key());
    assertEquals(Set.of("ops", "oncall"), back.roles());
    assertEquals(FRAME.text(), back.frame().text());
    assertNull(back.reach());
  }

  @Test
  void broadcastWithoutRolesIsForEveryone() {
    PushMessage back = PushMessage.fromJson(PushMessage.broadcast("b2", Set.of(), FRAME).toJson());
    assertEquals(PushMessage.Target.ALL, back.target());
    assertEquals(Set.of(), back.roles());
  }

  @Test
  void reachAddsUpEveryInstanceOnceAndAGiveUpKeepsWhatWasReported() {
    List<Integer> done = new ArrayList<>();
    Reach all = new Reach(2, done::add);
    all.report(3);
    assertEquals(List.of(), done, "still waiting for the second instance");
    all.report(4);
    all.giveUp();
    assertEquals(List.of(7), done);

    List<Integer> partial = new ArrayList<>();
    Reach late = new Reach(2, partial::add);
    late.report(5);
    late.giveUp();
    late.report(1);
    assertEquals(List.of(5), partial);
  }
}
