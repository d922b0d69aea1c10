package io.github.lobby.http;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Every Lobby and Pekko logger at DEBUG, every line captured, until closed (then the levels are as
 * before): for the tests that no credential reaches a log line.
 */
final class DebugLogCapture implements AutoCloseable {

  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger root;
  private final Logger lobby;
  private final Logger pekko;
  private final Level lobbyBefore;
  private final Level pekkoBefore;

  private DebugLogCapture() {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    lobby = logging.getLogger("io.github.lobby");
    pekko = logging.getLogger("org.apache.pekko");
    lobbyBefore = lobby.getLevel();
    pekkoBefore = pekko.getLevel();
  }

  static DebugLogCapture start() {
    DebugLogCapture capture = new DebugLogCapture();
    capture.captured.start();
    capture.root.addAppender(capture.captured);
    capture.lobby.setLevel(Level.DEBUG);
    capture.pekko.setLevel(Level.DEBUG);
    return capture;
  }

  /** Each line captured: its message, its exception's message, and its MDC. */
  List<String> lines() {
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : List.copyOf(captured.list)) {
      lines.add(
          event.getFormattedMessage()
              + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage())
              + event.getMDCPropertyMap());
    }
    return lines;
  }

  @Override
  public void close() {
    root.detachAppender(captured);
    lobby.setLevel(lobbyBefore);
    pekko.setLevel(pekkoBefore);
  }
}
