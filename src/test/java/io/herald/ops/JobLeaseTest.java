package io.herald.ops;

import static io.herald.TestGateway.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.TestGateway;
import io.herald.store.LeaseStore;
import io.vertx.core.Promise;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Singleton jobs: one holder of a lease at a time; a released or expired lease goes to the next node that asks. */
class JobLeaseTest {
  static TestGateway gw;
  static LeaseStore store;

  @BeforeAll
  static void start() {
    gw = TestGateway.start();
    store = new LeaseStore(gw.sql());
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void oneHolderAtATimeUntilReleased() {
    assertTrue(await(store.take("one", "node-a", 30)));
    assertFalse(await(store.take("one", "node-b", 30)), "held by node-a");
    assertTrue(await(store.take("one", "node-a", 30)), "the holder renews");
    assertEquals("node-a", await(store.holder("one")));
    await(store.release("one", "node-b"));
    assertEquals("node-a", await(store.holder("one")), "only the holder can release");
    await(store.release("one", "node-a"));
    assertNull(await(store.holder("one")));
    assertTrue(await(store.take("one", "node-b", 30)));
  }

  @Test
  void anExpiredLeaseGoesToTheNextNodeThatAsks() throws InterruptedException {
    assertTrue(await(store.take("two", "node-a", 1)));
    assertFalse(await(store.take("two", "node-b", 1)));
    Thread.sleep(1_200); // node-a stopped renewing: it died, or lost the database
    assertNull(await(store.holder("two")));
    assertTrue(await(store.take("two", "node-b", 30)));
    assertFalse(await(store.take("two", "node-a", 30)), "the old holder does not get it back while it is held");
  }

  @Test
  void aJobMovesToAnotherNodeWhenItsHolderStops() {
    JobLease a = new JobLease(store, "three", "node-a", 2);
    JobLease b = new JobLease(store, "three", "node-b", 2);
    a.start(gw.client);
    TestGateway.eventually(() -> held(a), "node-a to hold the job");
    b.start(gw.client);
    TestGateway.eventually(() -> "node-a".equals(await(store.holder("three"))), "node-a to keep it");
    assertFalse(held(b), "never two holders");
    await(a.release());
    assertFalse(held(a));
    TestGateway.eventually(() -> held(b), "node-b to take the job over");
    await(b.release());
  }

  /** Reads held() on the event loop the lease's timer runs on. */
  static boolean held(JobLease lease) {
    Promise<Boolean> p = Promise.promise();
    gw.client.runOnContext(v -> p.complete(lease.held()));
    return await(p.future());
  }
}
