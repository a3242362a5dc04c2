package io.herald.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.herald.TestSocket;
import io.herald.ingest.NotificationRequest;
import io.herald.store.Notification;
import io.herald.store.NotificationWriter;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.time.OffsetDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Resume: what a client missed comes back, across restarts and late commits. */
class ResumeTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  // A gateway restart between ingest and resume loses nothing: the new process replays what the client missed.
  @Test
  void resumeAfterARestartReplaysWhatWasMissed() {
    String user = "restart-user";
    String token = TestGateway.token(user);
    TestSocket before = gw.socket(token);
    before.next("welcome");
    String seen = gw.notify(user, "seen");
    assertEquals(seen, before.next("notification").getJsonObject("notification").getString("id"));
    before.close();

    String missed1 = gw.notify(user, "missed 1");
    String missed2 = gw.notify(user, "missed 2");
    TestSocket open = gw.socket(TestGateway.token("someone-else"));
    open.next("welcome");
    gw.restart();
    TestSocket.Closed closed = open.awaitClose();
    assertEquals((short) 1001, closed.code(), "sockets are closed with 1001 going away on a graceful stop");

    TestSocket after = gw.socket(token);
    assertEquals(3, after.next("welcome").getInteger("unread"));
    after.send(new JsonObject().put("type", "resume").put("after", seen));
    assertEquals(missed1, after.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(missed2, after.next("notification").getJsonObject("notification").getString("id"));
    assertEquals(3, after.next("unread").getInteger("count"));
    after.expectNone("notification", 300);
    after.close();
  }

  // A notification whose transaction commits late still comes after everything the client could have seen:
  // a second writer for the same user waits for the first to commit, so per-user order is commit order.
  @Test
  void aLateCommitIsNeverSkippedByResume() {
    String user = "late-user";
    NotificationWriter store = new NotificationWriter(gw.sql());
    OffsetDateTime now = Notification.now();
    List<Notification> early = NotificationRequest.parse(new JsonObject().put("recipient", user).put("title", "started first"),
        List.of("inapp"), now).rows(now);
    SqlConnection conn = TestGateway.await(gw.sql().getConnection());
    Transaction tx = TestGateway.await(conn.begin());
    TestGateway.await(store.insertIn(conn, List.of(early)));

    // While the first transaction is open, an ingest for the same user cannot commit ...
    Future<HttpResponse<Buffer>> second = gw.http.post(gw.port, "127.0.0.1", "/v1/notifications")
        .putHeader("Authorization", "Bearer " + TestGateway.INGEST_KEY)
        .sendJsonObject(new JsonObject().put("recipient", user).put("title", "committed second"));
    // ... while one for another user is not held up at all.
    String other = gw.notify("late-other-user", "independent");
    assertTrue(other != null);
    sleep(300);
    assertFalse(second.isComplete(), "the second write for the same user waited for the first commit");

    TestGateway.await(tx.commit());
    TestGateway.await(conn.close());
    HttpResponse<Buffer> answer = TestGateway.await(second);
    assertEquals(202, answer.statusCode());
    String secondId = answer.bodyAsJsonObject().getString("id");
    long firstSeq = gw.count("SELECT seq FROM notifications WHERE id = '" + early.get(0).id() + "'");
    long secondSeq = gw.count("SELECT seq FROM notifications WHERE id = '" + secondId + "'");
    assertTrue(secondSeq > firstSeq, "commit order is sequence order");

    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    s.send(new JsonObject().put("type", "resume").put("after", early.get(0).id().toString()));
    assertEquals(secondId, s.next("notification").getJsonObject("notification").getString("id"));
    s.close();
  }

  // Resume streams long backlogs in pages, oldest first, without losing or repeating any.
  @Test
  void resumeStreamsALongBacklogInOrder() {
    String user = "backlog-user";
    String first = gw.notify(user, "n0");
    for (int i = 1; i <= Feed.PAGE * 2 + 10; i++) {
      gw.post("/v1/notifications", TestGateway.INGEST_KEY, new JsonObject().put("recipient", user).put("title", "n" + i));
    }
    TestSocket s = gw.socket(TestGateway.token(user));
    s.next("welcome");
    s.send(new JsonObject().put("type", "resume").put("after", first));
    for (int i = 1; i <= Feed.PAGE * 2 + 10; i++) {
      assertEquals("n" + i, s.next("notification").getJsonObject("notification").getString("title"));
    }
    assertEquals(Feed.PAGE * 2 + 11, s.next("unread").getInteger("count"));
    s.close();
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
