package io.github.lobby.core;

import java.util.Objects;

/**
 * What a reconnecting client asks for ({@code ?since=<offset>&epoch=<epoch>}): every broadcast of
 * its room after {@code since}, if the room's history of that {@code epoch} still reaches back
 * that far.
 *
 * @param since the offset of the last broadcast the client received
 * @param epoch the room's epoch it was received in
 */
public record Recovery(long since, String epoch) {

  /** The longest epoch accepted, in characters. */
  public static final int MAX_EPOCH_LENGTH = 64;

  /** Rejects a negative offset and a blank or overlong epoch. */
  public Recovery {
    if (since < 0) {
      throw new IllegalArgumentException("since must be an offset (0 or more), not " + since);
    }
    Objects.requireNonNull(epoch, "epoch");
    if (epoch.isBlank() || epoch.length() > MAX_EPOCH_LENGTH) {
      throw new IllegalArgumentException(
          "epoch must be 1 to " + MAX_EPOCH_LENGTH + " characters, as a welcome gave it");
    }
  }
}
