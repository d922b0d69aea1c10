package io.github.lobby.http.internal.ws;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A connection's link to its {@link Session}: its place under the connection limits, the {@code
 * Connect} that asks the Lobby for the session, the hand-over of the Lobby's answer (which may
 * race with the connection's end), and the place given back when the connection stops. The
 * session actor is spawned by the Lobby when the connection starts, so a connection that never
 * starts leaves nothing behind; when it stops, the session hears of it from {@link WsConnection}.
 */
final class SessionLink {

  /** In {@link #handoff} once the connection has stopped: a late answer finds it there. */
  private static final Object STOPPED = new Object();

  private final ConnectionContext context;
  private final AcceptedUpgrade upgrade;
  private final SessionId id = SessionId.random();

  /** The session once answered, or STOPPED once the connection has stopped. */
  private final AtomicReference<Object> handoff = new AtomicReference<>();

  private boolean admitted;
  private boolean directReply;

  /**
   * How the connection ended, for a session whose answer comes after the end: written before
   * {@link #handoff} is set to STOPPED, read after a hand-over finds it so.
   */
  private Session.Command ending = Session.TransportClosed.INSTANCE;

  SessionLink(ConnectionContext context, AcceptedUpgrade upgrade) {
    this.context = context;
    this.upgrade = upgrade;
  }

  /** The glue already took the connection's place under the limits (see {@link #admit()}). */
  void alreadyAdmitted() {
    admitted = true;
  }

  /** Takes a place under the connection limits, unless it holds one; the refusal otherwise. */
  Optional<Admission.Refusal> admit() {
    Optional<Admission.Refusal> refused =
        admitted ? Optional.empty() : context.admission().admit(upgrade.address());
    if (refused.isEmpty()) {
      admitted = true;
    }
    return refused;
  }

  /**
   * Asks the Lobby for the session. With {@code answerTo}, the answer goes there, and the glue
   * hands it to {@link #handOver} on its thread (no ask: no temporary actor, no future, no timer).
   * Otherwise the answer comes through an ask, as a {@link WsSignal.SessionReady} or {@link
   * WsSignal.ConnectFailed} signal to {@code owner}.
   */
  void connect(
      Outbox outbox, Outbox.Owner owner, ActorRef<ActorRef<Session.Command>> answerTo) {
    // Not for a resume: a connection that ends before the answer tells the Lobby its own id
    // (Disconnected), which is not the id of a session it resumed. Through the ask, the answer
    // reaches the connection however it ended, which then tells the session itself.
    if (answerTo != null && upgrade.resume().isEmpty()) {
      directReply = true;
      context.lobby().tell(upgrade.connect(id, outbox, answerTo));
      return;
    }
    AskPattern.<Lobby.Command, ActorRef<Session.Command>>ask(
            context.lobby(),
            replyTo -> upgrade.connect(id, outbox, replyTo),
            context.http().askTimeout(),
            context.scheduler())
        // Run on the completing thread: the stage from Pekko's ask runs plain callbacks on the
        // common pool, which on a machine with two cores is a new thread per callback.
        .whenCompleteAsync(
            (ref, error) -> {
              if (error != null) {
                owner.signal(new WsSignal.ConnectFailed(error));
              } else if (handoff.compareAndSet(null, ref)) {
                owner.signal(new WsSignal.SessionReady(ref));
              } else {
                // The connection ended first. A resumed session is told how (lost without a close
                // handshake, it waits out its grace again: its client may not have seen the
                // welcome); a new one, that it is closed, as its client has no key to come back.
                ref.tell(upgrade.resume().isPresent() ? ending : Session.TransportClosed.INSTANCE);
              }
            },
            Runnable::run);
  }

  /**
   * The Lobby's direct answer, on the connection's thread: whether the connection takes the
   * session; if it has stopped meanwhile, the session is told so here.
   */
  boolean handOver(ActorRef<Session.Command> ref) {
    if (handoff.compareAndSet(null, ref)) {
      return true;
    }
    ref.tell(Session.TransportClosed.INSTANCE);
    return false;
  }

  /**
   * The connection has stopped: gives its place back (telling the Lobby when its answer is still
   * to come) and returns the session to tell how it ended, or null when there is none yet (a late
   * answer is then told at once, see {@link #handOver} and {@link #connect}).
   *
   * @param how how the connection ended, as its session is to be told
   */
  ActorRef<Session.Command> stopped(Session.Command how) {
    ending = how;
    if (admitted) {
      admitted = false;
      context.admission().release(upgrade.address());
      if (directReply && handoff.get() == null) {
        context.lobby().tell(new Lobby.Disconnected(id)); // after our Connect, from the same sender
      }
    }
    Object previous = handoff.getAndSet(STOPPED);
    if (previous instanceof ActorRef<?> ref) {
      @SuppressWarnings("unchecked")
      ActorRef<Session.Command> session = (ActorRef<Session.Command>) ref;
      return session;
    }
    return null;
  }
}
