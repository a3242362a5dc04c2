package io.herald.ingest;

import io.herald.config.HeraldConfig;
import io.herald.delivery.Dispatch;
import io.herald.fanout.Fanout;
import io.herald.fanout.PushMessage;
import io.herald.ops.Meters;
import io.herald.push.Frames;
import io.herald.store.DeliveryPlan;
import io.herald.store.DeliveryRef;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.herald.store.NotificationWriter;
import io.vertx.core.eventbus.EventBus;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every writer of new notifications (ingest, events) does around its transaction: plan the
 * delivery rows before, and after the commit push each new notification to its recipient's
 * sockets and hand each new delivery to its channel's worker.
 */
public final class Handover {
  private static final Logger log = LoggerFactory.getLogger(Handover.class);

  private Handover() {
  }

  /**
   * One delivery row per external channel. The notification's own e-mail or phone (may be null)
   * wins over the subscriber's; webhooks go to the configured URL. A row not claimed within the
   * pending grace (its dispatch lost) is picked up by the retry scanner; a scheduled one waits for
   * its send time.
   */
  public static List<DeliveryPlan> plans(HeraldConfig config, List<Notification> rows, String email, String phone) {
    List<DeliveryPlan> plans = new ArrayList<>();
    for (Notification n : rows) {
      for (String channel : n.channels()) {
        HeraldConfig.Channel c = config.channels().get(channel);
        if (c == null) {
          continue; // inapp: the inbox row itself
        }
        String destination = switch (channel) {
          case "email" -> email;
          case "webhook" -> c.webhook().url();
          default -> phone;
        };
        OffsetDateTime next = n.visibleOnArrival() ? n.createdAt().plusSeconds(config.retry().pendingGraceSeconds()) : n.sendAt();
        plans.add(new DeliveryPlan(Ids.next(), n.id(), channel, destination, c.maxAttempts(), next));
      }
    }
    return plans;
  }

  /**
   * After commit: new notifications are counted (scheduled ones too: they were ingested now), those
   * due now go to their recipients' sockets, their deliveries to the workers.
   */
  public static void after(NotificationWriter.Written written, Fanout fanout, EventBus bus, Meters.Ingest meters) {
    Set<UUID> due = new HashSet<>();
    for (int i = 0; i < written.rows().size(); i++) {
      Notification n = written.rows().get(i);
      if (written.created().get(i)) {
        meters.ingested(n.level(), n.category(), 1);
      }
      if (written.created().get(i) && n.visibleOnArrival()) {
        due.add(n.id());
        fanout.publish(PushMessage.notification(n.recipient(), n.seq(), Frames.notification(n), written.counts().get(i)));
        if (log.isDebugEnabled()) {
          log.atDebug().addKeyValue("notification_id", n.id()).log("notification stored and pushed");
        }
      }
    }
    for (DeliveryRef d : written.deliveries()) {
      if (d.pending() && due.contains(d.notificationId())) {
        new Dispatch(d.id(), d.channel(), 0).send(bus);
      }
    }
  }
}
