package io.github.lobby.core;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Identifies one session (one WebSocket connection) for its whole life; a random version 4 UUID
 * chosen by the server.
 *
 * @param value the UUID
 */
public record SessionId(UUID value) {

  /** Validates that the UUID is present. */
  public SessionId {
    Objects.requireNonNull(value, "value");
  }

  /** Returns a new random session id. */
  public static SessionId random() {
    return new SessionId(UUID.randomUUID());
  }

  /**
   * Parses the canonical textual form of a UUID, as clients send it.
   *
   * @return the id, or empty when {@code text} is not a UUID in its canonical 36-character form
   */
  public static Optional<SessionId> parse(String text) {
    if (text == null || text.length() != 36) {
      return Optional.empty();
    }
    try {
      return Optional.of(new SessionId(UUID.fromString(text)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Returns the canonical textual form, as it appears on the wire. */
  @Override
  public String toString() {
    return value.toString();
  }
}
