package io.github.lobby.client;

import java.util.Objects;
import java.util.Optional;

/**
 * Another session joined the room: a {@code joined} frame.
 *
 * @param id the newcomer's session id
 * @param roomId the room
 * @param user the newcomer's user, on a server that authenticates sessions
 */
public record Joined(String id, String roomId, Optional<String> user) {

  /** Checks that nothing is {@code null}. */
  public Joined {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(roomId, "roomId");
    Objects.requireNonNull(user, "user");
  }
}
