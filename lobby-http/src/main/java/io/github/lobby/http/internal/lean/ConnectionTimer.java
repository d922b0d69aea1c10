package io.github.lobby.http.internal.lean;

import java.time.Duration;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Cancellable;

/**
 * The one timer of a {@link LeanConnection}: a connection waits for one thing at a time (its first
 * request's head, an idle plain HTTP connection, the client's Close, the end of the connection),
 * so a new timeout replaces the last. It fires as a {@link LeanSignal.Timeout} to the connection.
 */
final class ConnectionTimer {

  private final AbstractActor.ActorContext context;
  private Cancellable timer;

  ConnectionTimer(AbstractActor.ActorContext context) {
    this.context = context;
  }

  /** Sends {@code timeout} to the connection after {@code delay}, replacing a pending one. */
  void start(Duration delay, LeanSignal.Timeout timeout) {
    cancel();
    timer =
        context
            .getSystem()
            .scheduler()
            .scheduleOnce(
                delay, context.getSelf(), timeout, context.getDispatcher(), ActorRef.noSender());
  }

  /** Cancels the pending timeout, if any. */
  void cancel() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }

  /** The pending timeout fired: there is none to cancel any more. */
  void fired() {
    timer = null;
  }
}
