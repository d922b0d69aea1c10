package io.github.lobby.client;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A {@code welcome} frame: the first frame of every connection, after the first connect and
 * after each reconnect.
 *
 * @param id this session's id; after a resumed reconnect the id it had before
 * @param roomId the room
 * @param members the ids of the room's members in join order, this session included
 * @param user this session's user, on a server that authenticates sessions
 * @param users the user of each member, on a server that authenticates sessions (else empty)
 * @param epoch the room's epoch, on a server that keeps a history
 * @param offset the offset of the room's latest broadcast, on a server that keeps a history
 * @param recovered whether the messages missed since the last connection follow (only when the
 *     client asked for them, which it does on every reconnect to a server with a history)
 * @param resumed whether this connection is the same session as before (only when the client
 *     asked, which it does on every reconnect to a server that resumes sessions)
 * @param resumeKey the key that resumes this session, on a server that resumes sessions. The
 *     client keeps it itself; it is exposed for applications that hand a session over (a page
 *     reload). Whoever has it and the id can take the session over: treat it as a credential.
 *     {@link #toString()} does not show it
 */
public record Welcome(
    String id,
    String roomId,
    List<String> members,
    Optional<String> user,
    Map<String, String> users,
    Optional<String> epoch,
    OptionalLong offset,
    Optional<Boolean> recovered,
    Optional<Boolean> resumed,
    Optional<String> resumeKey) {

  /** Checks that nothing is {@code null} and copies the collections. */
  public Welcome {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(roomId, "roomId");
    members = List.copyOf(members);
    Objects.requireNonNull(user, "user");
    users = Map.copyOf(users);
    Objects.requireNonNull(epoch, "epoch");
    Objects.requireNonNull(offset, "offset");
    Objects.requireNonNull(recovered, "recovered");
    Objects.requireNonNull(resumed, "resumed");
    Objects.requireNonNull(resumeKey, "resumeKey");
  }

  /** Every field but the resume key, which is a credential and must not reach a log line. */
  @Override
  public String toString() {
    return "Welcome[id="
        + id
        + ", roomId="
        + roomId
        + ", members="
        + members
        + ", user="
        + user
        + ", users="
        + users
        + ", epoch="
        + epoch
        + ", offset="
        + offset
        + ", recovered="
        + recovered
        + ", resumed="
        + resumed
        + ", resumeKey="
        + (resumeKey.isPresent() ? "<hidden>" : "none")
        + "]";
  }
}
