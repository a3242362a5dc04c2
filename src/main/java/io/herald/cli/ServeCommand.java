package io.herald.cli;

import io.herald.config.HeraldConfig;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/** {@code serve}: runs the gateway until SIGTERM or SIGINT, then drains and exits 0. */
@Command(name = "serve", description = "Run the gateway (the default command).")
final class ServeCommand implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

  @Mixin
  ConfigOption conf;

  @Option(names = "--cluster", description = "join the cluster (cluster.enabled)")
  boolean cluster;

  @Override
  public void run() {
    HeraldConfig config = cluster ? conf.load().clustered() : conf.load();
    log.info("configuration: {}", config);
    Gateway gateway;
    try {
      gateway = Gateway.start(config).toCompletionStage().toCompletableFuture().get(120, TimeUnit.SECONDS);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot start: " + cause.getMessage(), cause);
    }
    announce(config);
    CountDownLatch stopping = new CountDownLatch(1);
    Runnable drain = () -> {
      if (stopping.getCount() == 0) {
        return;
      }
      stopping.countDown();
      log.info("stopping: draining sockets and requests");
      try {
        gateway.stop().toCompletionStage().toCompletableFuture().get(config.http().shutdownTimeoutSeconds() + 15L, TimeUnit.SECONDS);
        log.info("stopped");
        System.exit(0);
      } catch (Exception e) {
        log.error("stop did not complete: {}", e.toString());
        System.exit(1);
      }
    };
    Signal.handle(new Signal("TERM"), sig -> new Thread(drain, "herald-stop").start());
    Signal.handle(new Signal("INT"), sig -> new Thread(drain, "herald-stop").start());
  }

  private static void announce(HeraldConfig config) {
    String host = config.http().host().equals("0.0.0.0") ? "127.0.0.1" : config.http().host();
    String base = "http://" + host + ":" + config.http().port();
    log.info("Herald is ready at {} (push: ws://{}:{}/v1/ws, SockJS: {}/v1/sockjs)", base, host, config.http().port(), base);
    boolean defaultSecrets = config.auth().apiKeys().stream().anyMatch(k -> k.key().equals("change-me"))
        || "change-me-too".equals(config.auth().jwt().secret());
    if (defaultSecrets) {
      log.warn("the default API key and JWT secret are in use: fine on a laptop, never in production");
      log.info("try it: TOKEN=$(java -jar target/herald.jar token --user alice) and connect to ws://{}:{}/v1/ws?token=$TOKEN; "
          + "post with: curl -H 'Authorization: Bearer change-me' -H 'Content-Type: application/json' "
          + "-d '{\"recipient\":\"alice\",\"title\":\"Hello\"}' {}/v1/notifications", host, config.http().port(), base);
    }
  }
}
