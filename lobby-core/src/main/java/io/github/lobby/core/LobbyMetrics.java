package io.github.lobby.core;

import io.micrometer.core.instrument.MeterRegistry;

/**
 * What Lobby records about itself, through Micrometer. Chosen once, when the Lobby and its routes
 * are created: {@link #NONE} records nothing (every method is empty, so the JIT removes the calls),
 * {@link #of(MeterRegistry)} records into a registry. Nothing on the hot path checks for null.
 *
 * <p>Micrometer is an optional dependency: only the implementation that {@link #of(MeterRegistry)}
 * creates for a registry uses it, so an application that passes none (or {@link #NONE}) runs
 * without Micrometer on its classpath.
 *
 * <p>Per-delivery cost is kept to a minimum: a fan-out adds its recipients and bytes to the
 * delivery counters once, not once per recipient. The meters and their names are listed in
 * docs/METRICS.md. One Lobby per registry: a second one would share the first one's gauges.
 *
 * <p>The methods are called by Lobby's own actors and connection layer; {@link #peerEvent(String)}
 * is also open to a {@link Federation} implementation that wants to count its own events.
 */
public interface LobbyMetrics {

  /** Records nothing, at no cost. */
  LobbyMetrics NONE = new LobbyMetrics() {};

  /**
   * Records into {@code registry}; {@link #NONE} when it is null. The only way to the Micrometer
   * implementation, so the only call that needs Micrometer on the classpath (with a registry).
   */
  @SuppressWarnings("exports") // Micrometer is optional: a static, not a transitive, requirement
  static LobbyMetrics of(MeterRegistry registry) {
    return registry == null ? NONE : new MicrometerMetrics(registry);
  }

  /** A session joined the directory. */
  default void sessionAdded() {}

  /** A session left the directory. */
  default void sessionRemoved() {}

  /** A room actor was started. */
  default void roomAdded() {}

  /** A room actor was stopped (its last member left). */
  default void roomRemoved() {}

  /** A WebSocket connection was accepted (upgraded). */
  default void connectionOpened() {}

  /**
   * A WebSocket connection ended.
   *
   * @param code the close code it ended with (ours, or the client's that we echoed), or -1 when
   *     it ended without a Close (reset, end of stream)
   * @param reason why, one of a few fixed words (never client text): {@code client} (the client
   *     closed), {@code slow_consumer}, {@code rate_limit}, {@code timeout}, {@code shutdown},
   *     {@code protocol_error}, {@code refused}, {@code lost} (no Close), {@code server}
   */
  default void connectionClosed(int code, String reason) {}

  /** A client text message arrived. */
  default void clientText(String text) {}

  /** A client binary message arrived. */
  default void clientBinary(int bytes) {}

  /**
   * Frames were queued for clients: once per fan-out with its count, or one for a single answer.
   *
   * @param frames how many clients accepted the frame
   * @param bytes the frame's size in bytes, once
   */
  default void delivered(int frames, long bytes) {}

  /** The time at which a broadcast is sent to its room, for {@link #broadcast}; 0 when unused. */
  default long now() {
    return 0;
  }

  /**
   * A member's broadcast has been offered to every member of its room.
   *
   * @param fanOut members that accepted it
   * @param since {@link #now()} when the sender's session handed it to the room
   */
  default void broadcast(int fanOut, long since) {}

  /**
   * A whisper was handled.
   *
   * @param outcome {@code delivered} (on this node), {@code no_session}, or {@code remote} (looked
   *     for on the other nodes)
   */
  default void whisper(String outcome) {}

  /** An admin push reached a room on this node. */
  default void adminPush() {}

  /**
   * A client asked to resume a session ({@code lobby.resumption}).
   *
   * @param outcome {@code resumed}, or {@code refused} (it got a new session)
   */
  default void resume(String outcome) {}

  /** A client was closed as a slow consumer (its outbound queue overflowed). */
  default void slowConsumer() {}

  /** A client message over the inbound rate was throttled (acknowledged late). */
  default void rateThrottled() {}

  /** A client over the inbound rate was closed ({@code inbound-rate-exceeded = close}). */
  default void rateClosed() {}

  /** Frames waiting in a connection's outbound queue when it drains it. */
  default void outboundQueueDepth(int frames) {}

  /** An event from another node reached a room (or a federation's own event), by kind. */
  default void peerEvent(String kind) {}
}
