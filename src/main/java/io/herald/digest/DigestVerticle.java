package io.herald.digest;

import io.herald.config.HeraldConfig;
import io.herald.delivery.Dispatch;
import io.herald.store.DigestStore;
import io.herald.store.TemplateStore;
import io.herald.template.Template;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends digests every {@code digest.checkIntervalSeconds}: held e-mails whose digest time came are
 * gathered into one e-mail per recipient, and (with {@code digest.unreadSummary}) subscribers at
 * their digest hour who stayed away get their unread notifications summarised. Each digest is
 * written with its own e-mail delivery and handed to the e-mail worker after the commit (if that
 * is lost, the retry scanner sends it). Safe on several nodes: rows are taken with SKIP LOCKED.
 */
public final class DigestVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DigestVerticle.class);
  /** Recipients (held e-mails) or subscribers (summaries) per transaction. */
  static final int BATCH = 200;

  private final HeraldConfig.Digest config;
  private final DigestStore store;
  private final TemplateStore templates;
  private final DigestStore.Settings settings;
  private final Clock clock;
  private boolean running;

  public DigestVerticle(HeraldConfig config, DigestStore store, TemplateStore templates, Clock clock) {
    this.config = config.digest();
    this.store = store;
    this.templates = templates;
    this.clock = clock;
    this.settings = new DigestStore.Settings(config.channels().get("email").maxAttempts(), config.retry().pendingGraceSeconds(),
        this.config.maxItems(), this.config.timeZone(), this.config.hour());
  }

  /** Digests sent in one run: how many e-mails, and how many held deliveries they took in. */
  public record Run(int digests, int digested, int summaries) {
  }

  @Override
  public Future<?> start() {
    vertx.setPeriodic(config.checkIntervalSeconds() * 1000L, id -> {
      if (running) {
        return;
      }
      running = true;
      run(clock.instant()).onComplete(result -> {
        running = false;
        if (result.failed()) {
          log.warn("digests not sent this time, trying again in {} s: {}", config.checkIntervalSeconds(),
              result.cause().getMessage());
        } else if (result.result().digests() + result.result().summaries() > 0) {
          log.atInfo().addKeyValue("channel", "email").addKeyValue("digests", result.result().digests())
              .addKeyValue("digested", result.result().digested()).addKeyValue("summaries", result.result().summaries())
              .log("sent {} digests ({} held deliveries) and {} unread summaries", result.result().digests(),
              result.result().digested(), result.result().summaries());
        }
      });
    });
    return Future.succeededFuture();
  }

  /** Everything due at {@code now}, batch after batch (tests call it with the hour they want). */
  public Future<Run> run(Instant now) {
    Future<Template> digestTemplate = templates.current(DigestComposer.DIGEST_TEMPLATE);
    Future<Template> unreadTemplate = templates.current(DigestComposer.UNREAD_TEMPLATE);
    return Future.all(digestTemplate, unreadTemplate)
        .compose(t -> held(now, digestTemplate.result(), new Run(0, 0, 0)))
        .compose(run -> config.unreadSummary() ? summaries(now, unreadTemplate.result(), run) : Future.succeededFuture(run));
  }

  private Future<Run> held(Instant now, Template template, Run sofar) {
    return store.digestHeld(now, BATCH, settings, pending -> DigestComposer.compose(pending, template)).compose(outcome -> {
      dispatch(outcome);
      Run run = new Run(sofar.digests() + outcome.digests(), sofar.digested() + outcome.digested(), sofar.summaries());
      return outcome.more() ? held(now, template, run) : Future.succeededFuture(run);
    });
  }

  private Future<Run> summaries(Instant now, Template template, Run sofar) {
    return store.summarise(now, BATCH, settings, pending -> DigestComposer.compose(pending, template)).compose(outcome -> {
      dispatch(outcome);
      Run run = new Run(sofar.digests(), sofar.digested(), sofar.summaries() + outcome.digests());
      return outcome.more() ? summaries(now, template, run) : Future.succeededFuture(run);
    });
  }

  private void dispatch(DigestStore.Outcome outcome) {
    for (Dispatch d : outcome.dispatches()) {
      d.send(vertx.eventBus());
    }
  }
}
