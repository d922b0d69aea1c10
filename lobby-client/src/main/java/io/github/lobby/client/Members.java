package io.github.lobby.client;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The answer to {@link LobbyClient#members()}: a {@code members} frame.
 *
 * @param roomId the room
 * @param members the members' session ids in join order, this session included
 * @param users the user of each member, on a server that authenticates sessions (else empty)
 */
public record Members(String roomId, List<String> members, Map<String, String> users) {

  /** Checks that nothing is {@code null} and copies the collections. */
  public Members {
    Objects.requireNonNull(roomId, "roomId");
    members = List.copyOf(members);
    users = Map.copyOf(users);
  }
}
