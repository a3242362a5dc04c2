package io.herald;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private redis-server process on a free port, for tests that stop and start Redis (the shared
 * one on 6379 must stay up for everyone else). Nothing is kept on disk. With {@code cluster}, it
 * is a one-shard Redis Cluster owning every slot (enough for sharded pub/sub).
 */
public final class RedisServer implements AutoCloseable {
  public final int port;
  private final boolean cluster;
  private final Path dir;
  private Process process;

  private RedisServer(int port, boolean cluster) throws IOException {
    this.port = port;
    this.cluster = cluster;
    this.dir = Files.createTempDirectory("herald-redis-");
  }

  public static RedisServer start(boolean cluster) {
    try {
      RedisServer r = new RedisServer(TestGateway.freePort(), cluster);
      r.up();
      if (cluster) {
        r.cli("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
        TestGateway.eventually(() -> r.cli("CLUSTER", "INFO").contains("cluster_state:ok"), "the one-node Redis cluster to be ok");
      }
      return r;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  /** Starts the server (again, on the same port; a cluster node keeps its slots in its nodes file). */
  public void up() {
    List<String> cmd = new ArrayList<>(List.of(binary(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
        "--appendonly", "no", "--dir", dir.toString()));
    if (cluster) {
      cmd.addAll(List.of("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"));
    }
    try {
      process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start redis-server (is it installed? .ci/run installs it): " + e.getMessage(), e);
    }
    TestGateway.eventually(this::answers, "redis-server on port " + port + " to accept connections");
  }

  /** Kills the server at once (no goodbye to its clients), as a crash or a network cut would look. */
  public void down() {
    if (process != null) {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      process = null;
    }
  }

  private boolean answers() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Runs redis-cli against this server and answers its output. */
  public String cli(String... args) {
    List<String> cmd = new ArrayList<>(List.of(binary().replace("redis-server", "redis-cli"), "-p", String.valueOf(port)));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes());
      p.waitFor(10, TimeUnit.SECONDS);
      return out;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String binary() {
    for (String candidate : List.of("/usr/bin/redis-server", "/usr/local/bin/redis-server")) {
      if (new File(candidate).canExecute()) {
        return candidate;
      }
    }
    return "redis-server";
  }

  @Override
  public void close() {
    down();
    File[] files = dir.toFile().listFiles();
    if (files != null) {
      for (File f : files) {
        f.delete();
      }
    }
    dir.toFile().delete();
  }
}
