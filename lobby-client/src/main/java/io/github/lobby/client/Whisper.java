package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * A private message to this session: a {@code whisper} frame.
 *
 * @param id the sender's session id
 * @param to this session's id
 * @param roomId the sender's room
 * @param msg the value as sent
 */
public record Whisper(String id, String to, String roomId, JsonNode msg) {

  /** Checks that nothing is {@code null}. */
  public Whisper {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(roomId, "roomId");
    Objects.requireNonNull(msg, "msg");
  }
}
