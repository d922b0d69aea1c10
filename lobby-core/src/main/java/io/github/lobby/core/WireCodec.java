package io.github.lobby.core;

/**
 * Renders events into frame text and decodes client frames, for one {@link Mode}.
 *
 * <p>The core only routes events; the HTTP module provides the JSON-library-backed implementations
 * of the wire format. Implementations must be thread-safe and must never throw from {@link
 * #decode(String)}: bad input becomes {@link ClientRequest.Invalid}.
 */
public interface WireCodec {

  /** Renders one event as the text of one frame. */
  String render(ClientEvent event);

  /** Decodes the text of one client frame. */
  ClientRequest decode(String text);
}
