package io.herald.config;

/** A configuration value that stops start-up; the message is one line that starts with the key. */
public final class ConfigException extends RuntimeException {
  private final String key;

  public ConfigException(String key, String message) {
    // parser messages (Jackson's among them) span lines; the CLI prints this as its one error line
    super(key + ": " + message.replaceAll("\\s*\\R\\s*", " "));
    this.key = key;
  }

  public String key() {
    return key;
  }
}
