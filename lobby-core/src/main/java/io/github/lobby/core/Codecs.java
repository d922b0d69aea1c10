package io.github.lobby.core;

import java.util.Objects;

/**
 * The codec of each mode, handed to the {@link Lobby} so that rooms can render an event once per
 * mode present among their members.
 *
 * @param classic the codec for {@link Mode#CLASSIC}
 * @param json the codec for {@link Mode#JSON}
 */
public record Codecs(WireCodec classic, WireCodec json) {

  /** Rejects nulls. */
  public Codecs {
    Objects.requireNonNull(classic, "classic");
    Objects.requireNonNull(json, "json");
  }

  /** Returns the codec of a mode. */
  public WireCodec of(Mode mode) {
    return mode == Mode.CLASSIC ? classic : json;
  }
}
