package io.github.lobby.core.internal;

import io.github.lobby.core.Codecs;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.core.auth.Authenticated;
import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The sessions of one Lobby: what they all share, read once from the settings, and how one starts.
 * Sessions are many and mostly idle, so each holds only its own state and one reference to this.
 */
final class Sessions {

  final Duration heartbeatInterval;
  final Duration clientTimeout;

  /** {@code resumption.ref-window}: how many answers to refs a session remembers. */
  final int refWindow;

  /** Whether a JSON-mode session that lost its connection waits for its client to resume it. */
  final boolean resumption;

  final Codecs codecs;
  final ActorRef<LobbyControl> lobby;
  final WhisperDispatch whispers;
  final LobbyMetrics metrics;
  private final int maxInboundPerSecond;
  private final int maxInboundBytesPerSecond;
  private final boolean throttle;

  /**
   * @param federated whether rooms span nodes (whispers to sessions not here are looked for)
   * @param lobby the Lobby, told when a session leaves, detaches or whispers beyond this node
   */
  Sessions(
      LobbySettings settings,
      Codecs codecs,
      SessionDirectory directory,
      boolean federated,
      ActorRef<LobbyControl> lobby,
      LobbyMetrics metrics) {
    this.heartbeatInterval = settings.heartbeatInterval();
    this.clientTimeout = settings.clientTimeout();
    this.refWindow = settings.resumption().refWindow();
    this.resumption = settings.resumption().on();
    this.maxInboundPerSecond = settings.maxInboundPerSecond();
    this.maxInboundBytesPerSecond = settings.maxInboundBytesPerSecond();
    this.throttle = settings.inboundRateExceeded() == LobbySettings.RateExceeded.THROTTLE;
    this.codecs = codecs;
    this.lobby = lobby;
    this.whispers = new WhisperDispatch(directory, federated, lobby, metrics);
    this.metrics = metrics;
  }

  /**
   * The behavior of a new session actor.
   *
   * @param roomRef its room's actor, which it joins
   * @param refs the answers to its client's refs when they are to outlive the actor (a resumable
   *     session's, handed on at a resume), or null: the actor makes its own on demand
   */
  Behavior<Object> create(
      SessionId id,
      RoomId room,
      Transport transport,
      Optional<Authenticated> auth,
      ActorRef<Room.Command> roomRef,
      Mode mode,
      SentRefs refs) {
    return Behaviors.setup(
        context ->
            new SessionActor(
                context, this, id, room, transport, auth.orElse(null), roomRef, mode, refs));
  }

  /** A session's inbound flow control, with its own rate buckets. */
  InboundFlow newFlow() {
    return new InboundFlow(
        maxInboundPerSecond, maxInboundBytesPerSecond, throttle, System::nanoTime);
  }
}
