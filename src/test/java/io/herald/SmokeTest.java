package io.herald;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SmokeTest {
  static TestGateway gw;

  @BeforeAll
  static void up() {
    gw = TestGateway.start();
  }

  @AfterAll
  static void down() {
    gw.close();
  }

  @Test
  void pushesANotificationToTheRecipientsSocket() {
    TestSocket s = gw.socket(TestGateway.token("u1"));
    assertEquals(0, s.next("welcome").getInteger("unread"));
    String id = gw.notify("u1", "hi");
    JsonObject n = s.next("notification").getJsonObject("notification");
    assertEquals(id, n.getString("id"));
    assertEquals(1, s.next("unread").getInteger("count"));
  }
}
