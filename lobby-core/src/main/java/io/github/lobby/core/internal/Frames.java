package io.github.lobby.core.internal;

import io.github.lobby.core.Frame;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Transport;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How rooms, the Lobby and sessions hand a rendered frame to a session's transport: its bounded
 * queue either takes the frame, or is full, and then the session is told and closes its client as a
 * slow consumer.
 */
final class Frames {

  private Frames() {}

  /**
   * Offers a frame to a session's transport; when the queue is full, tells the session ({@link
   * SessionControl.SlowConsumer}).
   *
   * @return whether the frame was queued
   */
  static boolean offer(Transport transport, ActorRef<SessionControl> session, Frame frame) {
    Transport.Offer outcome = transport.sendText(frame);
    if (outcome == Transport.Offer.FULL) {
      session.tell(SessionControl.SlowConsumer.INSTANCE);
    }
    return outcome == Transport.Offer.ACCEPTED;
  }

  /** Offers one frame to one session and counts it as delivered when it was queued. */
  static void deliver(
      Transport transport, ActorRef<SessionControl> session, Frame frame, LobbyMetrics metrics) {
    if (offer(transport, session, frame)) {
      metrics.delivered(1, frame.utf8().length());
    }
  }
}
