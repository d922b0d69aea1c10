package io.github.lobby.client;

import java.util.Objects;
import java.util.Optional;

/**
 * A member left the room: a {@code left} frame.
 *
 * @param id the leaver's session id
 * @param roomId the room
 * @param reason {@code closed}, {@code timeout}, {@code slow_consumer} or {@code error}
 * @param user the leaver's user, on a server that authenticates sessions
 */
public record Left(String id, String roomId, String reason, Optional<String> user) {

  /** Checks that nothing is {@code null}. */
  public Left {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(roomId, "roomId");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(user, "user");
  }
}
