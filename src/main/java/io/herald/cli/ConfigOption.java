package io.herald.cli;

import io.herald.config.ConfigLoader;
import io.herald.config.HeraldConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** The {@code --conf FILE} option shared by every command; defaults to conf/herald.json when present. */
final class ConfigOption {
  @Option(names = "--conf", paramLabel = "FILE", description = "configuration file (default: conf/herald.json if present)")
  Path file;

  HeraldConfig load() {
    Path path = file;
    if (path == null && Files.exists(Path.of("conf/herald.json"))) {
      path = Path.of("conf/herald.json");
    }
    return ConfigLoader.load(path, System.getenv(), LoggerFactory.getLogger("io.herald.config")::warn);
  }
}
