package io.github.lobby.core;

/** How a session's frames are written and read: chosen by the client at connect time. */
public enum Mode {
  /** Plain text frames compatible with the original tutorial's clients (no subprotocol). */
  CLASSIC,
  /** One JSON object per frame with a {@code type} (subprotocol {@code lobby.v1.json}). */
  JSON
}
