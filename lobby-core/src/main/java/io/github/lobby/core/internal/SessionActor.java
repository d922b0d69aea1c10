package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.core.WireCodec;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The actor of one {@link Session}: it decodes its client's messages and hands their work to its
 * room, the Lobby or a collaborator, keeps the heartbeat, and leaves when its connection ends.
 *
 * <p>Its mailbox takes its transport's {@link Session.Command}s and the {@link SessionControl} of
 * its room, the Lobby and itself. The work is in plain classes: {@link InboundFlow} (when a client
 * message is acknowledged: the window, the two rates, the client's silence), {@link Credential}
 * (expiry and refresh, authenticated sessions only), {@link SentRefs} (the answers to the client's
 * refs, made on demand) and the shared {@link WhisperDispatch}.
 *
 * <p>With {@code lobby.resumption.grace}, a JSON-mode session whose connection was lost without a
 * close handshake, or that timed out, does not leave: it tells the Lobby it is detached and waits,
 * still a member, for the Lobby to end it (the grace ended) or to hand its place to a new session
 * actor on its client's new connection (a resume).
 */
final class SessionActor extends AbstractMatchingBehavior<Object> implements SessionHost {

  private final SessionId id;
  private final RoomId room;
  private final Transport transport;
  private final ActorRef<Room.Command> roomRef;
  private final Sessions sessions;
  private final WireCodec codec;
  private final InboundFlow flow;

  /** How the session was authenticated; null when authentication is off (no cost then). */
  private final Credential credential;

  /** Whether the session may broadcast to its room. */
  private boolean mayPublish;

  /** Whether the client is in JSON mode, where refusals are told with an error frame. */
  private final boolean json;

  /** Whether this session has closed, or learnt the end of, its transport (then it stops). */
  private boolean transportDone;

  /** The answers to the client's recent refs; given by the Lobby when resumable, else on demand. */
  private SentRefs refs;

  /** Requests with a ref that this actor handed to the room or the Lobby, not yet answered. */
  private int refsUnderWay;

  SessionActor(
      ActorContext<Object> context,
      Sessions sessions,
      SessionId id,
      RoomId room,
      Transport transport,
      Authenticated auth,
      ActorRef<Room.Command> roomRef,
      Mode mode,
      SentRefs refs) {
    super(context);
    this.sessions = sessions;
    this.id = id;
    this.room = room;
    this.transport = transport;
    this.roomRef = roomRef;
    this.refs = refs;
    this.json = mode == Mode.JSON;
    this.codec = sessions.codecs.of(mode);
    this.flow = sessions.newFlow();
    this.credential = auth == null ? null : new Credential(auth);
    this.mayPublish = auth == null || auth.grant().mayPublish();
    if (auth != null) {
      credential.scheduleExpiry(Instant.now(), this);
    }
  }

  // One method rather than a built Receive: a receive builder allocates its cases for every
  // session, about 1 KB each, and sessions are many and mostly idle.
  @Override
  public Behavior<Object> onMessage(Object message) {
    if (message instanceof Session.ClientText text) {
      return onClientText(text);
    } else if (message instanceof Session.ClientBinary binary) {
      return onClientBinary(binary);
    } else if (message == Session.ClientPong.INSTANCE
        || message == Session.ClientActivity.INSTANCE) {
      return onClientAlive();
    } else if (message instanceof SessionControl.Processed by) {
      return onProcessed(by);
    } else if (message instanceof SessionControl.Answered answered) {
      return onAnswered(answered);
    } else if (message instanceof SessionControl.RefAnswered answered) {
      answer(answered.answer());
      return this;
    } else if (message == SessionControl.AckDue.INSTANCE) {
      flow.ackDue(this);
      return this;
    } else if (message instanceof SessionControl.Refreshed refreshed) {
      return onRefreshed(refreshed);
    } else if (message instanceof SessionControl.Expired expired) {
      return credential.expired(expired.generation(), Instant.now(), this) ? expire() : this;
    } else if (message instanceof SessionControl.Heartbeat beat) {
      return onTick(beat == SessionControl.Heartbeat.PARTIAL);
    } else if (message == Session.TransportClosed.INSTANCE) {
      transportDone = true;
      return leave(LeaveReason.CLOSED);
    } else if (message instanceof Session.TransportFailed failed) {
      return onTransportFailed(failed);
    } else if (message instanceof Session.TransportLost lost) {
      return onTransportLost(lost);
    } else if (message instanceof Session.ClientFailed failed) {
      return onClientFailed(failed);
    } else if (message instanceof SessionControl.FailAfterSync failed) {
      return closeAndLeave(failed.code(), failed.reason(), LeaveReason.ERROR);
    } else if (message instanceof SessionControl.Close close) {
      return closeAndLeave(close.code(), close.reason(), LeaveReason.CLOSED);
    } else if (message == SessionControl.SlowConsumer.INSTANCE) {
      return onSlowConsumer();
    } else if (message == SessionControl.Superseded.INSTANCE) {
      return onSuperseded();
    }
    return Behaviors.unhandled();
  }

  @Override
  public Behavior<Object> onSignal(Signal signal) {
    if (signal instanceof PostStop) {
      return onPostStop();
    }
    return Behaviors.unhandled();
  }

  // ---- The client's messages ----

  private Behavior<Object> onClientText(Session.ClientText text) {
    sessions.metrics.clientText(text.text());
    long due = flow.admit(text.text().length(), sessions.metrics);
    if (due == InboundFlow.REFUSED) {
      return onRateLimit();
    }
    ClientRequest request = decode(text.text());
    if (request instanceof ClientRequest.Broadcast broadcast) {
      onBroadcast(broadcast, due);
    } else if (request == ClientRequest.ListMembers.INSTANCE) {
      roomRef.tell(new Room.ListMembers(id, self()));
      flow.waitForRoom(due);
    } else if (request instanceof ClientRequest.Refresh refresh) {
      onRefresh(refresh, due);
    } else if (request instanceof ClientRequest.Invalid invalid) {
      debug("Session {} sent an invalid frame: {}", id, LogText.escape(invalid.message()));
      // Not remembered under its ref: the same frame sent again is as invalid again.
      answer(new ClientEvent.Error(invalid.code(), invalid.message(), invalid.ref()));
      acknowledgeAt(due);
    } else {
      onWhisper(request, due); // to a session or to a user
    }
    return this;
  }

  private void onBroadcast(ClientRequest.Broadcast broadcast, long due) {
    String ref = broadcast.ref();
    if (ref != null && !firstTime(ref, due)) {
      return;
    }
    if (mayPublish) {
      roomRef.tell(new Room.Broadcast(id, broadcast.msg(), sessions.metrics.now(), self(), ref));
      flow.waitForRoom(due);
      refsUnderWay += ref != null ? 1 : 0;
      return;
    }
    debug("Session {} may not broadcast to room {}", id, room);
    if (json) { // classic clients have no error frame: they are not told
      String forbidden = "this session may not broadcast to room " + room.value();
      answerRef(ref, new ClientEvent.Error(AuthResult.Status.FORBIDDEN.code(), forbidden, ref));
    }
    acknowledgeAt(due);
  }

  /**
   * A whisper goes where {@link WhisperDispatch} sends it; it is acknowledged, and answered (an ack
   * for its ref, or that nobody got it) at once when it was done here, else when the Lobby is.
   */
  private void onWhisper(ClientRequest whisper, long due) {
    String ref = WhisperDispatch.ref(whisper);
    if (ref != null && !firstTime(ref, due)) {
      return;
    }
    WhisperDispatch.Outcome outcome = sessions.whispers.dispatch(id, room, whisper, self());
    if (outcome == WhisperDispatch.Outcome.WITH_LOBBY) {
      flow.waitForLobby(due);
      refsUnderWay += ref != null ? 1 : 0;
      return;
    }
    if (outcome == WhisperDispatch.Outcome.NOBODY) {
      answerRef(ref, WhisperDispatch.nobody(whisper));
    } else if (ref != null) {
      answerRef(ref, new ClientEvent.Ack(ref, null));
    }
    acknowledgeAt(due);
  }

  /** Decodes with the mode's codec; a codec that throws must not take the session down. */
  private ClientRequest decode(String text) {
    try {
      return codec.decode(text);
    } catch (RuntimeException e) {
      // Not the exception itself: its message may quote the client's text (parsers do), and a
      // stack trace would print it unescaped.
      warn(
          "Session {}: the codec failed on a client frame: {}: {}",
          id,
          e.getClass().getName(),
          LogText.escape(e.getMessage()));
      return new ClientRequest.Invalid("bad_request", "the message could not be read");
    }
  }

  private Behavior<Object> onClientBinary(Session.ClientBinary binary) {
    sessions.metrics.clientBinary(binary.data().size());
    long due = flow.admit(binary.data().size(), sessions.metrics);
    if (due == InboundFlow.REFUSED) {
      return onRateLimit();
    }
    Transport.Offer echoed = transport.sendBinary(binary.data());
    if (echoed == Transport.Offer.FULL) {
      return onSlowConsumer();
    } else if (echoed == Transport.Offer.ACCEPTED) {
      sessions.metrics.delivered(1, binary.data().size());
    }
    acknowledgeAt(due);
    return this;
  }

  private Behavior<Object> onClientAlive() {
    long due = flow.admit(0, sessions.metrics);
    if (due == InboundFlow.REFUSED) {
      return onRateLimit();
    }
    acknowledgeAt(due);
    return this;
  }

  // ---- Flow control ({@link InboundFlow}) ----

  private void acknowledgeAt(long due) {
    flow.acknowledgeAt(due, this);
  }

  private Behavior<Object> onProcessed(SessionControl.Processed by) {
    if (!flow.done(by == SessionControl.Processed.ROOM, this)) {
      warn("Session {} was told of work it did not ask for", id);
    }
    return this;
  }

  @Override
  public void acknowledge() {
    transport.acknowledge();
  }

  @Override
  public Cancellable scheduleOnce(Duration delay, SessionControl message) {
    return getContext().scheduleOnce(delay, getContext().getSelf(), message);
  }

  @Override
  public <T> void pipeToSelf(
      CompletionStage<T> stage, BiFunction<T, Throwable, SessionControl> adapt) {
    getContext().pipeToSelf(stage, adapt::apply);
  }

  private Behavior<Object> onRateLimit() {
    debug("Session {} exceeded the inbound rate limit", id);
    sessions.metrics.rateClosed();
    return closeAndLeave(CloseCodes.POLICY_VIOLATION, "rate limit", LeaveReason.ERROR);
  }

  // ---- The credential ({@link Credential}) ----

  /** Asks the authenticator; acknowledged on its answer, due within {@code client-timeout}. */
  private void onRefresh(ClientRequest.Refresh refresh, long due) {
    if (credential == null) {
      answer(
          new ClientEvent.Error(
              "bad_request", "this server does not authenticate sessions: nothing to refresh"));
      acknowledgeAt(due);
      return;
    }
    credential.refresh(room, refresh.token(), sessions.clientTimeout, due, this);
  }

  private Behavior<Object> onRefreshed(SessionControl.Refreshed refreshed) {
    if (refreshed.failure() != null) {
      warn("Session {}: the authenticator failed on a refresh: {}", id, refreshed.failure());
    }
    Credential.Decision decision =
        credential.refreshed(refreshed.result(), refreshed.sequence(), Instant.now(), this);
    if (decision.applied()) {
      mayPublish = credential.auth().grant().mayPublish();
      debug("Session {} refreshed its credential", id);
    }
    answer(decision.answer());
    acknowledgeAt(refreshed.due());
    if (credential.expiredMeanwhile()) {
      return expire(); // the refreshes that were under way at the expiry all failed
    }
    return this;
  }

  private Behavior<Object> expire() {
    debug("Session {}: its credential expired", id);
    return closeAndLeave(CloseCodes.TOKEN_EXPIRED, "token expired", LeaveReason.CLOSED);
  }

  // ---- Answers and refs ({@link SentRefs}) ----

  private void answer(ClientEvent event) {
    Frame frame = Frame.render(event, codec);
    Frames.deliver(transport, self(), frame, sessions.metrics);
  }

  /**
   * Whether a client message's {@code ref} is new, to be done now; else it is answered again (or
   * when a predecessor still at it is done) and acknowledged, not done twice.
   */
  private boolean firstTime(String ref, long due) {
    if (refs == null) {
      refs = new SentRefs(sessions.refWindow);
    }
    SentRefs.Seen seen = refs.begin(ref, self());
    if (seen == SentRefs.New.INSTANCE) {
      return true;
    }
    debug("Session {} sent ref {} again", id, LogText.escape(ref));
    if (seen instanceof SentRefs.Done done) {
      answer(done.answer());
    }
    acknowledgeAt(due);
    return false;
  }

  /**
   * Answers a client message: remembered under its {@code ref} when it has one, for a repeat and
   * for a successor that waits for it (null: an answer without a ref, not remembered).
   */
  private void answerRef(String ref, ClientEvent answer) {
    answer(answer);
    if (ref != null) {
      refs.finish(ref, answer, self());
    }
  }

  private Behavior<Object> onAnswered(SessionControl.Answered answered) {
    refsUnderWay--;
    answerRef(answered.ref(), answered.answer());
    return onProcessed(answered.by());
  }

  // ---- Liveness and the end of the connection ----

  private Behavior<Object> onTick(boolean partial) {
    Duration silentFor = flow.silence(partial, sessions.heartbeatInterval);
    if (silentFor.compareTo(sessions.clientTimeout) >= 0) {
      debug("Session {} timed out after {} of silence", id, silentFor);
      if (resumable()) {
        transport.close(CloseCodes.GOING_AWAY, "client timeout");
        return detach();
      }
      return closeAndLeave(CloseCodes.GOING_AWAY, "client timeout", LeaveReason.TIMEOUT);
    }
    transport.ping();
    return this;
  }

  private Behavior<Object> onTransportFailed(Session.TransportFailed failed) {
    debug("Session {} transport failed: {}", id, LogText.escape(failed.cause()));
    transportDone = true;
    return leave(LeaveReason.ERROR);
  }

  private Behavior<Object> onTransportLost(Session.TransportLost lost) {
    transportDone = true;
    if (lost.cause() != null) {
      debug("Session {} lost its connection: {}", id, LogText.escape(lost.cause()));
    }
    if (resumable()) {
      return detach();
    }
    return leave(lost.cause() == null ? LeaveReason.CLOSED : LeaveReason.ERROR);
  }

  /** Whether a lost connection keeps the session for its client to resume (JSON mode). */
  private boolean resumable() {
    return json && sessions.resumption;
  }

  /**
   * The connection is gone but the session stays in its room for its client to resume it, as a
   * {@link DetachedSession}; the Lobby decides when it ends, and tells the room.
   */
  private Behavior<Object> detach() {
    transportDone = true;
    cancelTimers();
    sessions.lobby.tell(new LobbyControl.Detached(id, self()));
    debug("Session {} waits for its client to resume it", id);
    return new DetachedSession(getContext(), refs, refsUnderWay, sessions.clientTimeout).waiting();
  }

  private Behavior<Object> onSuperseded() {
    // Its client came back on another connection while this one still seemed open (half-open).
    debug("Session {} was resumed on another connection", id);
    transport.close(CloseCodes.SESSION_RESUMED, "session resumed");
    transportDone = true;
    cancelTimers();
    if (refsUnderWay <= 0) {
      return Behaviors.stopped();
    }
    return new DetachedSession(getContext(), refs, refsUnderWay, sessions.clientTimeout).draining();
  }

  private Behavior<Object> onClientFailed(Session.ClientFailed failed) {
    debug("Session {} broke the protocol: {}", id, LogText.escape(failed.reason()));
    roomRef.tell(
        new Room.Sync(self(), new SessionControl.FailAfterSync(failed.code(), failed.reason())));
    return this;
  }

  private Behavior<Object> onSlowConsumer() {
    debug("Session {} is a slow consumer", id);
    sessions.metrics.slowConsumer();
    transport.closeNow(CloseCodes.POLICY_VIOLATION, "slow consumer");
    transportDone = true;
    return leave(LeaveReason.SLOW_CONSUMER);
  }

  private Behavior<Object> onPostStop() {
    cancelTimers();
    if (!transportDone) {
      // Only reached when the session stops without having left (it failed, or the system stops).
      transport.close(CloseCodes.GOING_AWAY, "session stopped");
    }
    return this;
  }

  private void cancelTimers() {
    flow.cancel();
    if (credential != null) {
      credential.cancel();
    }
  }

  private Behavior<Object> closeAndLeave(int code, String reason, LeaveReason leaveReason) {
    transport.close(code, reason);
    transportDone = true;
    return leave(leaveReason);
  }

  private Behavior<Object> leave(LeaveReason reason) {
    sessions.lobby.tell(new LobbyControl.Leave(id, reason, self()));
    debug("Session {} leaves room {}: {}", id, room, reason);
    return Behaviors.stopped();
  }

  /** This actor, as its room and the Lobby address it. */
  private ActorRef<SessionControl> self() {
    return getContext().getSelf().narrow();
  }

  private void debug(String format, Object... args) {
    SessionLog.debug(getContext().getLog(), id, room, format, args);
  }

  private void warn(String format, Object... args) {
    SessionLog.warn(getContext().getLog(), id, room, format, args);
  }
}
