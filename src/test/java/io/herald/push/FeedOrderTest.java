package io.herald.push;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.herald.fanout.LocalFanout;
import io.herald.fanout.PushMessage;
import io.herald.ingest.NotificationRequest;
import io.herald.store.Notification;
import io.herald.store.InboxCount;
import io.herald.store.NotificationWriter;
import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A socket gets a user's notifications in commit order, without gaps or repeats, however they are published. */
class FeedOrderTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  /** Writes notifications without publishing them, as if their live messages were still on their way. */
  private static List<Notification> writeSilently(String user, int count) {
    NotificationWriter store = new NotificationWriter(gw.sql());
    List<List<Notification>> requests = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      OffsetDateTime now = Notification.now();
      requests.add(NotificationRequest.parse(new JsonObject().put("recipient", user).put("title", "silent " + i), List.of("inapp"), now)
          .rows(now));
    }
    List<Notification> out = new ArrayList<>();
    TestGateway.await(store.insert(requests.stream().map(r -> new io.herald.store.NotificationWriter.Request(r, List.of())).toList())).forEach(w -> out.addAll(w.rows()));
    return out;
  }

  private static void publish(Notification n) {
    new LocalFanout(gw.gateway().vertx(), user -> true).publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n), new InboxCount(0, 0)));
  }

  // A live message that overtakes earlier ones: the socket first gets the earlier ones from the database, in order.
  @Test
  void aGapIsFilledFromTheDatabaseInOrder() {
    String user = "gappy";
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    List<Notification> rows = writeSilently(user, 3);
    publish(rows.get(2));
    for (Notification n : rows) {
      assertEquals(n.id().toString(), s.next("notification").getJsonObject("notification").getString("id"));
    }
    publish(rows.get(0));
    publish(rows.get(1));
    s.expectNone("notification", 300);
    String next = gw.notify(user, "after the gap");
    assertEquals(next, s.next("notification").getJsonObject("notification").getString("id"));
    s.close();
  }

  // Notifications committed while a resume streams come after it, in order, none lost and none twice; ping is still answered.
  @Test
  void liveNotificationsDuringAResumeStayInOrder() {
    String user = "resumer";
    String first = gw.notify(user, "first");
    List<Notification> backlog = writeSilently(user, Feed.PAGE * 3);
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    s.send(new JsonObject().put("type", "resume").put("after", first));
    s.send(new JsonObject().put("type", "ping"));
    List<String> got = new ArrayList<>();
    got.add(s.next("notification").getJsonObject("notification").getString("id")); // the resume is streaming now
    String live = gw.notify(user, "live while resuming");
    for (int i = 1; i < backlog.size() + 1; i++) {
      got.add(s.next("notification").getJsonObject("notification").getString("id"));
    }
    List<String> expected = new ArrayList<>();
    backlog.forEach(n -> expected.add(n.id().toString()));
    expected.add(live);
    assertEquals(expected, got);
    s.next("pong");
    s.expectNone("notification", 300);
    s.close();
  }

  // A resume sent while the socket is filling a gap from the database still replays everything after its cursor.
  @Test
  void aResumeDuringAGapFillMissesNothing() {
    String user = "refiller";
    String first = gw.notify(user, "first");
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    List<Notification> rows = writeSilently(user, Feed.PAGE + 50);
    publish(rows.get(rows.size() - 1));
    s.send(new JsonObject().put("type", "resume").put("after", first));
    java.util.Set<String> got = new java.util.HashSet<>();
    while (got.size() < rows.size()) {
      got.add(s.next("notification").getJsonObject("notification").getString("id"));
    }
    rows.forEach(n -> org.junit.jupiter.api.Assertions.assertTrue(got.contains(n.id().toString())));
    s.close();
  }
}
