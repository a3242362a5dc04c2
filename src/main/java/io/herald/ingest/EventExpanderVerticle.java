package io.herald.ingest;

import io.herald.Addresses;
import io.herald.config.HeraldConfig;
import io.herald.fanout.Fanout;
import io.herald.ops.Meters;
import io.herald.store.EventStore;
import io.herald.store.Ids;
import io.herald.store.Notification;
import io.herald.store.NotificationWriter;
import io.herald.store.TemplateStore;
import io.herald.template.Part;
import io.herald.template.Rendered;
import io.herald.template.Renderer;
import io.herald.template.Template;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expands accepted events into notifications, one page of recipients per transaction: the page's
 * notifications and deliveries and the event's new cursor commit together, so an expansion that
 * stops half-way (a crash, a deploy) resumes on another node exactly where it stood, nobody twice
 * and nobody skipped. Each recipient's notification is rendered in their locale from the template
 * version fixed when the event was accepted. Events are leased, so several nodes can expand
 * different events at once; one node works on one event at a time.
 */
public final class EventExpanderVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(EventExpanderVerticle.class);
  static final int PAGE = 2000;
  static final int LEASE_SECONDS = 60;
  /** Leases an event may take before it is given up as failed (each failed attempt waits out its lease). */
  static final int MAX_ATTEMPTS = 5;

  private final HeraldConfig config;
  private final Pool pool;
  private final EventStore events;
  private final TemplateStore templates;
  private final NotificationWriter writer;
  private final Fanout fanout;
  private final String node;
  private final Meters.Ingest meters;
  private boolean busy;
  private boolean again;

  public EventExpanderVerticle(HeraldConfig config, Pool pool, EventStore events, TemplateStore templates, NotificationWriter writer,
                               Fanout fanout, String node, Meters.Ingest meters) {
    this.config = config;
    this.pool = pool;
    this.events = events;
    this.templates = templates;
    this.writer = writer;
    this.fanout = fanout;
    this.node = node;
    this.meters = meters;
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(1, 1000, id -> work());
    return vertx.eventBus().<String>localConsumer(Addresses.EVENTS, msg -> work()).completion();
  }

  /** Expands events until none is waiting; a wake-up while busy makes it look again afterwards. */
  private void work() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    again = false;
    events.lease(node, LEASE_SECONDS).compose(event -> event == null ? Future.succeededFuture(false) : attempt(event).map(true))
        .onComplete(result -> {
          busy = false;
          if (result.failed()) {
            log.warn("event expansion stopped, will resume: {}", result.cause().getMessage());
          } else if (result.result() || again) {
            work();
          }
        });
  }

  /** One try at an event; a failure is noted on it, and after {@link #MAX_ATTEMPTS} tries the event is failed. */
  private Future<Void> attempt(EventStore.Event event) {
    if (event.attempts() > MAX_ATTEMPTS) {
      return events.finish(event.id(), node, "failed", "gave up after " + MAX_ATTEMPTS + " attempts: " + event.error());
    }
    return expand(event).recover(err -> {
      log.atWarn().addKeyValue("event_id", event.id()).log("event {} expansion attempt {} failed: {}", event.type(), event.attempts(),
          err.getMessage());
      return events.noteError(event.id(), String.valueOf(err.getMessage())).compose(v -> Future.failedFuture(err));
    });
  }

  private Future<Void> expand(EventStore.Event event) {
    return templates.version(event.type(), event.templateVersion()).compose(template -> {
      if (template == null) {
        return events.finish(event.id(), node, "failed", "template " + event.type() + " version " + event.templateVersion() + " is gone");
      }
      Map<String, Rendered> byLocale = new HashMap<>();
      return pages(event, template, byLocale).compose(total -> {
        log.atInfo().addKeyValue("event_id", event.id()).log("event {} expanded: {} notifications", event.type(), total);
        return events.finish(event.id(), node, "done", null);
      });
    });
  }

  /** Writes pages until both phases are walked; answers how many notifications the event made in all. */
  private Future<Integer> pages(EventStore.Event event, Template template, Map<String, Rendered> byLocale) {
    List<NotificationWriter.Written> done = new ArrayList<>();
    return pool.withTransaction(conn -> events.lockOwned(conn, event.id(), node).compose(current ->
            events.page(conn, current, current.phase(), current.cursor(), PAGE).compose(recipients -> {
              if (recipients.isEmpty()) {
                if (current.phase() == 0 && !current.roles().isEmpty()) {
                  return events.advance(conn, event.id(), 1, null, 0, LEASE_SECONDS).map(-1); // on to the role members
                }
                return Future.succeededFuture(current.notified());
              }
              List<Notification> rows = rows(current, template, recipients, byLocale);
              NotificationWriter.Request request = new NotificationWriter.Request(rows, Handover.plans(config, rows, null, null));
              return writer.insertRequests(conn, List.of(request)).compose(written -> {
                NotificationWriter.Written w = written.get(0);
                done.add(w);
                return events.writeContent(conn, contents(w, recipients, byLocale)).map(w);
              }).compose(w -> {
                int made = (int) w.created().stream().filter(Boolean::booleanValue).count();
                String last = recipients.get(recipients.size() - 1).userId();
                return events.advance(conn, event.id(), current.phase(), last, made, LEASE_SECONDS).map(-1);
              });
            })))
        .compose(state -> {
          done.forEach(w -> Handover.after(w, fanout, vertx.eventBus(), meters));
          return state >= 0 ? Future.succeededFuture(state) : pages(event, template, byLocale);
        });
  }

  /** One notification per recipient, rendered in the recipient's locale (or the template's default). */
  private List<Notification> rows(EventStore.Event event, Template template, List<EventStore.Recipient> recipients,
                                  Map<String, Rendered> byLocale) {
    List<String> channels = channels(event, template);
    String key = "event:" + event.id();
    OffsetDateTime now = Notification.now();
    io.vertx.core.json.JsonObject data = event.data().copy().put("eventId", event.id().toString()); // shared by the page's rows
    List<Notification> rows = new ArrayList<>(recipients.size());
    for (EventStore.Recipient r : recipients) {
      String locale = r.locale() == null ? "" : r.locale();
      Rendered rendered = byLocale.computeIfAbsent(locale, l -> checked(Renderer.render(template, l.isEmpty() ? null : l, event.data())));
      String title = truncate(rendered.get(Part.INAPP_TITLE), 200);
      String body = rendered.get(Part.INAPP_BODY);
      rows.add(new Notification(Ids.next(), r.userId(), 0, title == null || title.isBlank() ? event.type() : title,
          body == null || body.isEmpty() ? null : truncate(body, 5000), template.level(), template.category(), null, null,
          data, event.priority(), channels, key, key, now, null, null, null));
    }
    return rows;
  }

  /** Each new notification's own texts for its external channels, from its recipient's rendering. */
  private static List<EventStore.Content> contents(NotificationWriter.Written w, List<EventStore.Recipient> recipients,
                                                   Map<String, Rendered> byLocale) {
    Map<String, String> localeOf = new HashMap<>();
    recipients.forEach(r -> localeOf.put(r.userId(), r.locale() == null ? "" : r.locale()));
    List<EventStore.Content> out = new ArrayList<>();
    for (int i = 0; i < w.rows().size(); i++) {
      Notification n = w.rows().get(i);
      if (!w.created().get(i)) {
        continue;
      }
      io.vertx.core.json.JsonObject parts = byLocale.get(localeOf.getOrDefault(n.recipient(), "")).channelsJson();
      for (String channel : List.of("email", "sms", "whatsapp")) {
        if (n.channels().contains(channel) && parts.getJsonObject(channel) != null) {
          out.add(new EventStore.Content(n.id(), channel, parts.getJsonObject(channel)));
        }
      }
    }
    return out;
  }

  /** The event's channels, else the template's, in both cases only those enabled here. */
  private List<String> channels(EventStore.Event event, Template template) {
    List<String> wanted = event.channels() != null ? event.channels() : new ArrayList<>(template.channelNames());
    List<String> out = new ArrayList<>();
    for (String c : wanted) {
      if (config.enabledChannels().contains(c) && !out.contains(c)) {
        out.add(c);
      }
    }
    return out.isEmpty() ? List.of("inapp") : out;
  }

  /** A rendering whose parts fit their limits; data that blows a part up fails the event instead of the node. */
  private static Rendered checked(Rendered rendered) {
    for (Part part : Part.values()) {
      if (part == Part.INAPP_TITLE || part == Part.INAPP_BODY) {
        continue; // cut to the notification's limits instead
      }
      String text = rendered.get(part);
      if (text != null && text.length() > part.maxChars()) {
        throw new IllegalArgumentException("rendered " + part.channel() + " " + part.key() + " is " + text.length()
            + " characters, more than " + part.maxChars());
      }
    }
    return rendered;
  }

  private static String truncate(String s, int max) {
    if (s == null || s.length() <= max) {
      return s;
    }
    return s.substring(0, Character.isHighSurrogate(s.charAt(max - 1)) ? max - 1 : max); // never half a character
  }
}
