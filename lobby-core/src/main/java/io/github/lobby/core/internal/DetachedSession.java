package io.github.lobby.core.internal;

import io.github.lobby.core.internal.SessionControl.Answered;
import io.github.lobby.core.internal.SessionControl.DrainEnded;
import io.github.lobby.core.internal.SessionControl.Superseded;
import java.time.Duration;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A session actor whose connection is gone while answers to its client's refs may still be owed:
 * the answers that reach it are remembered ({@link SentRefs}) for its client's next connection, and
 * sent on to a successor whose client asked again.
 *
 * <p>Two phases: {@link #waiting()}, detached ({@code lobby.resumption}), until the Lobby stops it
 * (the grace ended) or tells it {@link Superseded} (its client resumed it on a new connection);
 * then {@link #draining()}, until the answers to the refs it handed to its room or the Lobby have
 * come, for at most {@code client-timeout}.
 */
final class DetachedSession {

  private final ActorContext<Object> context;
  private final SentRefs refs;
  private final Duration clientTimeout;

  /** Requests with a ref that this actor handed to the room or the Lobby, not yet answered. */
  private int refsUnderWay;

  DetachedSession(
      ActorContext<Object> context, SentRefs refs, int refsUnderWay, Duration clientTimeout) {
    this.context = context;
    this.refs = refs;
    this.refsUnderWay = refsUnderWay;
    this.clientTimeout = clientTimeout;
  }

  /** Detached: waits, still a member of its room, for the Lobby to end it or to supersede it. */
  Behavior<Object> waiting() {
    return Behaviors.receiveMessage(
        message -> {
          if (message instanceof Answered answered) {
            refsUnderWay--;
            // Remembered for its client's next connection.
            refs.finish(answered.ref(), answered.answer(), context.getSelf().narrow());
            return Behaviors.same();
          }
          return message == Superseded.INSTANCE ? draining() : Behaviors.same();
        });
  }

  /**
   * Superseded: a successor serves the client now. Requests with a ref that this actor handed to
   * the room or the Lobby are still answered to it: it waits for those answers, for the successor
   * (whose client may send them again), for at most {@code client-timeout}, then stops.
   */
  Behavior<Object> draining() {
    if (refsUnderWay <= 0) {
      return Behaviors.stopped();
    }
    context.scheduleOnce(clientTimeout, context.getSelf(), DrainEnded.INSTANCE);
    return Behaviors.receiveMessage(
        message -> {
          if (message instanceof Answered answered) {
            refs.finish(answered.ref(), answered.answer(), context.getSelf().narrow());
            return --refsUnderWay <= 0 ? Behaviors.stopped() : Behaviors.same();
          }
          return message == DrainEnded.INSTANCE ? Behaviors.stopped() : Behaviors.same();
        });
  }
}
