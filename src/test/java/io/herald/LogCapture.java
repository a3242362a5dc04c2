package io.herald;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Captures every log event of the process while an action runs, the given loggers temporarily at a chosen level. */
public final class LogCapture {
  private LogCapture() {
  }

  /** Runs {@code action} with the root logger and {@code loggers} at {@code level}; returns what was logged meanwhile. */
  public static List<ILoggingEvent> during(Level level, List<String> loggers, Runnable action) {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    List<Logger> changed = new ArrayList<>();
    changed.add(root);
    loggers.forEach(name -> changed.add(logging.getLogger(name)));
    List<Level> before = changed.stream().map(Logger::getLevel).toList();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.setContext(logging);
    captured.start();
    root.addAppender(captured);
    changed.forEach(l -> l.setLevel(level));
    try {
      action.run();
    } finally {
      root.detachAppender(captured);
      for (int i = 0; i < changed.size(); i++) {
        changed.get(i).setLevel(before.get(i));
      }
    }
    synchronized (captured.list) {
      return new ArrayList<>(captured.list);
    }
  }

  /** One event as a line: message, key-value pairs, MDC and the exception's message. */
  public static String line(ILoggingEvent e) {
    return e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage() + " " + e.getKeyValuePairs() + " " + e.getMDCPropertyMap()
        + (e.getThrowableProxy() == null ? "" : " " + e.getThrowableProxy().getClassName() + ": " + e.getThrowableProxy().getMessage());
  }
}
