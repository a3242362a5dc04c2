package io.herald.delivery;

import io.herald.store.Notification;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Jobs to send and blocking waits on a sender's futures, for the sender tests. */
public final class DeliveryFixture {
  private DeliveryFixture() {
  }

  public static Notification notification(String title, String body, String actionUrl, String actionLabel) {
    return new Notification(UUID.randomUUID(), "u42", 1, title, body, "info", "orders", actionUrl, actionLabel,
        new JsonObject().put("orderId", 7), "normal", List.of("inapp"), null, null, Notification.now(), null, null, null);
  }

  public static DeliveryJob job(String channel, String destination, Notification n) {
    return new DeliveryJob(UUID.randomUUID(), channel, destination, 1, 10, n);
  }

  public static DeliveryJob job(String channel, String destination, String title, String body) {
    return job(channel, destination, notification(title, body, null, null));
  }

  /** The future's result, waiting at most 10 s. */
  public static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("expected success, got " + e.getCause(), e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The exception the future failed with, waiting at most 10 s. */
  public static Throwable failure(Future<?> future) {
    try {
      Object result = future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      throw new AssertionError("expected a failure, got success: " + result);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  /** How the classifier sees the future's failure. */
  public static Failure classified(Future<?> future) {
    return ErrorClassifier.classify(failure(future), Clock.systemUTC());
  }
}
