package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A broadcast to the room: a {@code message} frame.
 *
 * @param id the sender's session id (the server's id for messages of the admin API)
 * @param roomId the room
 * @param msg the value as sent: any JSON value (text of classic-mode members is a JSON string)
 * @param offset its offset in the room's epoch, on a server that keeps a history
 */
public record Message(String id, String roomId, JsonNode msg, OptionalLong offset) {

  /** Checks that nothing is {@code null}. */
  public Message {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(roomId, "roomId");
    Objects.requireNonNull(msg, "msg");
    Objects.requireNonNull(offset, "offset");
  }
}
