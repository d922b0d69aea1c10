package io.github.lobby.client;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * The server took a send: an {@code ack} frame. For a broadcast the room has fanned it out (this
 * session's own copy of the message came before the ack); for a whisper it was delivered.
 *
 * @param ref the reference the client gave the send
 * @param offset the broadcast's offset, on a server that keeps a history (never for a whisper)
 */
public record Ack(String ref, OptionalLong offset) {

  /** Checks that nothing is {@code null}. */
  public Ack {
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(offset, "offset");
  }
}
