package io.github.lobby.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;
import java.util.Optional;

/**
 * An {@code error} frame of the server: something this client sent was refused. The connection
 * stays open.
 *
 * @param code the error's code: {@code bad_request}, {@code forbidden}, {@code no_session},
 *     {@code no_user}, {@code unauthorized}, {@code unavailable}, ...
 * @param message what was wrong, for people (not meant to be parsed)
 * @param ref the reference of the send it answers, when it answers one
 * @param frame the whole frame, for fields that a later protocol version adds
 */
public record ServerError(String code, String message, Optional<String> ref, JsonNode frame) {

  /** Checks that nothing is {@code null}. */
  public ServerError {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(ref, "ref");
    Objects.requireNonNull(frame, "frame");
  }
}
