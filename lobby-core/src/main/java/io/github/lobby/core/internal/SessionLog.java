package io.github.lobby.core.internal;

import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import org.slf4j.Logger;
import org.slf4j.MDC;

/**
 * Log lines of a session, with its id and room in the MDC ({@code sessionId}, {@code room}), set
 * only for the line: an idle session holds no MDC map.
 */
final class SessionLog {

  private SessionLog() {}

  /** Logs at DEBUG, when enabled. */
  static void debug(Logger log, SessionId id, RoomId room, String format, Object... args) {
    if (log.isDebugEnabled()) {
      try (MDC.MDCCloseable s = MDC.putCloseable("sessionId", id.toString());
          MDC.MDCCloseable r = MDC.putCloseable("room", room.value())) {
        log.debug(format, args);
      }
    }
  }

  /** Logs at WARN. */
  static void warn(Logger log, SessionId id, RoomId room, String format, Object... args) {
    try (MDC.MDCCloseable s = MDC.putCloseable("sessionId", id.toString());
        MDC.MDCCloseable r = MDC.putCloseable("room", room.value())) {
      log.warn(format, args);
    }
  }
}
