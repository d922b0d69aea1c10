package io.github.lobby.core;

import io.github.lobby.core.auth.AuthCalls;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.Signal;
import org.apache.pekko.actor.typed.javadsl.AbstractMatchingBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.util.ByteString;
import org.slf4j.MDC;

/**
 * One client connection, independent of the transport that carries it.
 *
 * <p>Like the tutorial's WebSocket session actor it keeps the heartbeat and forwards what its
 * client sends: it decodes each text frame with its mode's codec and sends broadcasts straight to
 * its room, delivers whispers itself (through the {@link SessionDirectory}), and answers bad input
 * with an {@code error} frame while the connection stays open. Binary frames are echoed to the
 * sender.
 *
 * <p>Inbound flow control: a client message is acknowledged to the transport (which reads at most
 * {@code inbound-window} unacknowledged messages) only once the work it caused has been done: for a
 * broadcast or a members request, when the room has handled it; for a whisper to another node,
 * when the search has ended. So a client can never have more than its window of work waiting in a
 * room's or the Lobby's mailbox, however fast it sends. Every client frame also counts against
 * {@code max-inbound-per-second}: over it, the client is throttled (its acknowledgements wait until
 * its budget has refilled, so TCP slows it down and nothing is lost) or, with {@code
 * inbound-rate-exceeded = close}, closed with 1008 {@code rate limit}.
 *
 * <p>Every {@code heartbeat-interval} (its room beats for all its members) it asks the transport
 * for a Ping; if no frame at all (a Pong included) arrived for {@code client-timeout}, it closes
 * the connection with 1001. However it ends (transport closed or failed, timeout, slow consumer,
 * shutdown), it tells the Lobby why before it stops, and the Lobby tells the room; if it fails
 * instead, the Lobby's watch does.
 *
 * <p>With {@code lobby.recovery.grace}, a JSON-mode session whose connection was lost without a
 * close handshake, or that timed out, does not leave: it tells the Lobby it is detached and waits,
 * still a member, for the Lobby to end it (the grace ended) or to hand its place to a new session
 * actor on its client's new connection (a resume).
 */
public final class Session extends AbstractMatchingBehavior<Session.Command> {

  /** Messages of a session: the client's frames as the transport delivers them, and control. */
  public sealed interface Command {}

  /**
   * A complete text message from the client, already checked to be valid UTF-8 and within {@code
   * max-message-bytes}. The session calls {@link Transport#acknowledge()} once it is processed.
   */
  public record ClientText(String text) implements Command {}

  /** A complete binary message from the client; echoed, then acknowledged. */
  public record ClientBinary(ByteString data) implements Command {}

  /** The client answered a Ping; acknowledged. */
  public enum ClientPong implements Command {
    INSTANCE
  }

  /** Some other frame arrived (a Ping, say): the client is alive; acknowledged. */
  public enum ClientActivity implements Command {
    INSTANCE
  }

  /**
   * The client closed the connection (its Close frame), or the connection ended before the session
   * served it: the session leaves (reason {@code closed}).
   */
  public enum TransportClosed implements Command {
    INSTANCE
  }

  /**
   * The connection failed: a protocol violation; the transport has closed it. The session leaves
   * (reason {@code error}).
   */
  public record TransportFailed(String cause) implements Command {}

  /**
   * The connection was lost without a close handshake: the client's end of stream without a Close
   * frame ({@code cause} null), or an I/O error such as a reset ({@code cause} says which). With
   * {@code lobby.recovery.grace}, a JSON-mode session waits for its client to resume it; otherwise
   * it leaves as after {@link TransportClosed} (end of stream) or {@link TransportFailed} (I/O
   * error).
   */
  public record TransportLost(String cause) implements Command {}

  /**
   * The session's client resumed it on a new connection, served by a new session actor: this one
   * stops without leaving, closing its connection with 4002 if it still holds it. Sent by the
   * Lobby.
   */
  enum Superseded implements Command {
    INSTANCE
  }

  /**
   * The client broke the protocol after the messages delivered before this one: the session lets
   * its room handle those first (their echoes still go out), then closes with this code. Sent by
   * the transport, which stops reading the client.
   */
  public record ClientFailed(int code, String reason) implements Command {}

  /** The room has handled everything this session sent before a {@link ClientFailed}. */
  private record FailAfterSync(int code, String reason) implements Command {}

  /** Closes the connection with a close code; the Lobby sends this at shutdown. */
  record Close(int code, String reason) implements Command {}

  /**
   * The room ({@code ROOM}) or the Lobby ({@code LOBBY}) has finished the work of one of this
   * session's requests, in the order it received them: the client message may be acknowledged.
   */
  enum Processed implements Command {
    ROOM,
    LOBBY
  }

  /**
   * The session's credential expires (or, for a far expiry, a day passed).
   *
   * @param generation the {@link Credential#expiryGeneration} it was scheduled under: a timer that
   *     a refresh replaced may still have queued this, and is then ignored
   */
  private record Expired(int generation) implements Command {}

  /**
   * The authenticator decided on a client's {@link ClientRequest.Refresh}.
   *
   * @param result its decision, or null when it failed or took too long
   * @param due when the client message may be acknowledged
   * @param sequence the refresh's number, so that an older decision never undoes a newer one
   */
  private record Refreshed(AuthResult result, long due, int sequence) implements Command {}

  /**
   * The room ({@code by} {@code ROOM}) or the Lobby ({@code LOBBY}) has finished a request whose
   * client message carried a {@code ref}, like {@link Processed}, with the answer for the client:
   * an {@link ClientEvent.Ack} or an error carrying the ref.
   */
  record Answered(Processed by, String ref, ClientEvent answer) implements Command {}

  /**
   * The answer to a {@code ref} that this session's client sent again while a predecessor of this
   * session actor (before a resume) was still working on it; sent by that predecessor.
   */
  private record RefAnswered(ClientEvent answer) implements Command {}

  /** A superseded session actor gave up waiting for the answers to its last refs. */
  private enum DrainEnded implements Command {
    INSTANCE
  }

  /** An acknowledgement held back by the rate limit is due. */
  private enum AckDue implements Command {
    INSTANCE
  }

  /** The transport's outbound queue overflowed; sent by whoever offered the frame. */
  enum SlowConsumer implements Command {
    INSTANCE
  }

  /**
   * A heartbeat from the session's room, every {@code heartbeat-interval}. {@code PARTIAL}: the
   * session joined during this interval, which does not count as silence.
   */
  enum Heartbeat implements Command {
    FULL,
    PARTIAL
  }

  private final SessionId id;
  private final RoomId room;
  private final Transport transport;
  /** How the session was authenticated; null when authentication is off (no cost then). */
  private final Credential credential;
  /** Whether the session may broadcast to its room. */
  private boolean mayPublish;
  private final ActorRef<Room.Command> roomRef;
  private final ActorRef<Lobby.Command> lobby;
  private final SessionDirectory directory;
  /** Whether a whisper whose target is not on this node is looked for on other nodes. */
  private final boolean federated;
  private final WireCodec codec;
  /** Whether the client is in JSON mode, where refusals are told with an error frame. */
  private final boolean json;
  private final Duration heartbeatInterval;
  private final Duration clientTimeout;
  /** Whether any frame arrived since the last tick. */
  private boolean heard;
  /** Time without any frame, counted in whole heartbeat intervals. */
  private Duration silentFor = Duration.ZERO;
  /** Whether this session has closed, or learnt the end of, its transport. */
  private boolean transportDone;
  /**
   * Whether a lost connection keeps the session for its client to resume ({@code lobby.recovery},
   * JSON mode).
   */
  private final boolean resumable;
  private final InboundRate inboundRate;
  private final InboundRate inboundBytes;
  private final boolean throttle;
  /** When the requests with the room, then with the Lobby, may be acknowledged; on demand. */
  private DueTimes withRoom;
  private DueTimes withLobby;
  /** Acknowledgements held back by the rate limit, earliest first; on demand. */
  private DueTimes deferred;
  private Cancellable ackTimer;
  private final LobbyMetrics metrics;
  /** The answers to the client's recent refs; given by the Lobby when resumable, else on demand. */
  private SentRefs refs;
  private final int refWindow;
  /** Requests with a ref that this actor handed to the room or the Lobby, not yet answered. */
  private int refsUnderWay;

  static Behavior<Command> create(
      SessionId id,
      RoomId room,
      Transport transport,
      Optional<Authenticated> auth,
      ActorRef<Room.Command> roomRef,
      ActorRef<Lobby.Command> lobby,
      SessionDirectory directory,
      boolean federated,
      Mode mode,
      WireCodec codec,
      LobbySettings settings,
      LobbyMetrics metrics,
      SentRefs refs) {
    return Behaviors.setup(
        context ->
            new Session(
                context,
                id,
                room,
                transport,
                auth.orElse(null),
                roomRef,
                lobby,
                directory,
                federated,
                mode,
                codec,
                settings,
                metrics,
                refs));
  }

  private Session(
      ActorContext<Command> context,
      SessionId id,
      RoomId room,
      Transport transport,
      Authenticated auth,
      ActorRef<Room.Command> roomRef,
      ActorRef<Lobby.Command> lobby,
      SessionDirectory directory,
      boolean federated,
      Mode mode,
      WireCodec codec,
      LobbySettings settings,
      LobbyMetrics metrics,
      SentRefs refs) {
    super(context);
    this.refs = refs;
    this.refWindow = settings.resumption().refWindow();
    this.json = mode == Mode.JSON;
    this.credential = auth == null ? null : new Credential(auth);
    this.mayPublish = auth == null || auth.grant().mayPublish();
    if (auth != null) {
      scheduleExpiry();
    }
    this.metrics = metrics;
    this.id = id;
    this.room = room;
    this.transport = transport;
    this.roomRef = roomRef;
    this.lobby = lobby;
    this.directory = directory;
    this.federated = federated;
    this.codec = codec;
    this.heartbeatInterval = settings.heartbeatInterval();
    this.clientTimeout = settings.clientTimeout();
    this.inboundRate = new InboundRate(settings.maxInboundPerSecond(), System::nanoTime);
    this.inboundBytes = new InboundRate(settings.maxInboundBytesPerSecond(), System::nanoTime);
    this.throttle = settings.inboundRateExceeded() == LobbySettings.RateExceeded.THROTTLE;
    this.resumable = json && settings.resumption().on();
  }

  // One method rather than a built Receive: a receive builder allocates its cases for every
  // session, about 1 KB each, and sessions are many and mostly idle.
  @Override
  public Behavior<Command> onMessage(Command message) {
    if (message instanceof ClientText text) {
      return onClientText(text);
    } else if (message instanceof ClientBinary binary) {
      return onClientBinary(binary);
    } else if (message == ClientPong.INSTANCE || message == ClientActivity.INSTANCE) {
      return onClientAlive();
    } else if (message == Processed.ROOM) {
      return onProcessed(withRoom);
    } else if (message == Processed.LOBBY) {
      return onProcessed(withLobby);
    } else if (message instanceof Answered answered) {
      return onAnswered(answered);
    } else if (message instanceof RefAnswered answered) {
      answer(answered.answer());
      return this;
    } else if (message == AckDue.INSTANCE) {
      return onAckDue();
    } else if (message instanceof Refreshed refreshed) {
      return onRefreshed(refreshed);
    } else if (message instanceof Expired expired) {
      return onExpired(expired);
    } else if (message instanceof Heartbeat beat) {
      return onTick(beat == Heartbeat.PARTIAL);
    } else if (message == TransportClosed.INSTANCE) {
      return onTransportClosed();
    } else if (message instanceof TransportFailed failed) {
      return onTransportFailed(failed);
    } else if (message instanceof TransportLost lost) {
      return onTransportLost(lost);
    } else if (message instanceof ClientFailed failed) {
      return onClientFailed(failed);
    } else if (message instanceof FailAfterSync failed) {
      return onFailAfterSync(failed);
    } else if (message instanceof Close close) {
      return onClose(close);
    } else if (message == SlowConsumer.INSTANCE) {
      return onSlowConsumer();
    } else if (message == Superseded.INSTANCE) {
      return onSuperseded();
    }
    return Behaviors.unhandled();
  }

  @Override
  public Behavior<Command> onSignal(Signal signal) {
    if (signal instanceof PostStop) {
      return onPostStop();
    }
    return Behaviors.unhandled();
  }

  private Behavior<Command> onClientText(ClientText text) {
    heard = true;
    metrics.clientText(text.text());
    long due = admit(text.text().length());
    if (due == REFUSED) {
      return onRateLimit();
    }
    ClientRequest request = decode(text.text());
    if (request instanceof ClientRequest.Broadcast broadcast) {
      if (broadcast.ref() != null && !firstTime(broadcast.ref(), due)) {
        return this;
      }
      if (mayPublish) {
        roomRef.tell(
            new Room.Broadcast(
                id, broadcast.msg(), metrics.now(), getContext().getSelf(), broadcast.ref()));
        withRoom = DueTimes.add(withRoom, due);
        if (broadcast.ref() != null) {
          refsUnderWay++;
        }
      } else {
        debug("Session {} may not broadcast to room {}", id, room);
        if (json) { // classic clients have no error frame: they are not told
          answerRef(
              broadcast.ref(),
              new ClientEvent.Error(
                  AuthResult.Status.FORBIDDEN.code(),
                  "this session may not broadcast to room " + room.value(),
                  broadcast.ref()));
        }
        acknowledgeAt(due);
      }
    } else if (request instanceof ClientRequest.WhisperUser whisper) {
      if (whisper.ref() == null || firstTime(whisper.ref(), due)) {
        onWhisperUser(whisper, due);
      }
    } else if (request instanceof ClientRequest.Refresh refresh) {
      onRefresh(refresh, due);
    } else if (request == ClientRequest.ListMembers.INSTANCE) {
      roomRef.tell(new Room.ListMembers(id, getContext().getSelf()));
      withRoom = DueTimes.add(withRoom, due);
    } else if (request instanceof ClientRequest.Whisper whisper) {
      if (whisper.ref() == null || firstTime(whisper.ref(), due)) {
        onWhisper(whisper, due);
      }
    } else if (request instanceof ClientRequest.Invalid invalid) {
      debug("Session {} sent an invalid frame: {}", id, LogText.escape(invalid.message()));
      // Not remembered under its ref: the same frame sent again is as invalid again.
      answer(new ClientEvent.Error(invalid.code(), invalid.message(), invalid.ref()));
      acknowledgeAt(due);
    }
    return this;
  }

  /**
   * Delivers a whisper straight to its target's queue when the target is on this node; otherwise
   * the Lobby looks for it on the other nodes, and answers when the search has ended.
   */
  private void onWhisper(ClientRequest.Whisper whisper, long due) {
    Optional<SessionId> target = SessionId.parse(whisper.to());
    String ref = whisper.ref();
    if (target.isPresent() && directory.whisper(id, target.get(), room, whisper.msg())) {
      metrics.whisper("delivered");
      if (ref != null) {
        answerRef(ref, new ClientEvent.Ack(ref, null));
      }
      acknowledgeAt(due);
    } else if (target.isPresent() && federated) {
      // counted by the Lobby
      lobby.tell(
          new Lobby.Whisper(id, whisper.to(), whisper.msg(), getContext().getSelf(), ref));
      withLobby = DueTimes.add(withLobby, due);
      if (ref != null) {
        refsUnderWay++;
      }
    } else {
      metrics.whisper("no_session");
      answerRef(ref, new ClientEvent.NoSession(whisper.to(), ref));
      acknowledgeAt(due);
    }
  }

  /**
   * Delivers a whisper to every session of a user: those of this node straight to their queues;
   * with other nodes, the Lobby has the federation deliver it there and answers {@code no_user}
   * when nobody got it.
   */
  private void onWhisperUser(ClientRequest.WhisperUser whisper, long due) {
    int local = directory.whisperUser(id, whisper.user(), room, whisper.msg());
    String ref = whisper.ref();
    if (federated) {
      lobby.tell(
          new Lobby.WhisperUser(
              id, whisper.user(), whisper.msg(), local, getContext().getSelf(), ref));
      withLobby = DueTimes.add(withLobby, due);
      if (ref != null) {
        refsUnderWay++;
      }
      return;
    }
    if (local == 0) {
      metrics.whisper("no_session");
      answerRef(ref, new ClientEvent.NoUser(whisper.user(), ref));
    } else {
      metrics.whisper("delivered");
      if (ref != null) {
        answerRef(ref, new ClientEvent.Ack(ref, null));
      }
    }
    acknowledgeAt(due);
  }

  /**
   * Asks the authenticator about a new credential; the message is acknowledged on its answer,
   * which must come within {@code client-timeout} (else the client is told to try again).
   */
  private void onRefresh(ClientRequest.Refresh refresh, long due) {
    if (credential == null) {
      answer(
          new ClientEvent.Error(
              "bad_request", "this server does not authenticate sessions: nothing to refresh"));
      acknowledgeAt(due);
      return;
    }
    Authenticated auth = credential.auth;
    CompletableFuture<AuthResult> decided =
        AuthCalls.bounded(
            () -> auth.authenticator().refresh(auth.grant().principal(), room, refresh.token()),
            clientTimeout);
    int sequence = ++credential.refreshesSent;
    credential.refreshesPending++;
    getContext()
        .pipeToSelf(
            decided,
            (result, failure) -> {
              if (failure != null) {
                // Not the exception's message: it may quote the credential.
                warn(
                    "Session {}: the authenticator failed on a refresh: {}",
                    id,
                    failure.getClass().getName());
              }
              return new Refreshed(failure == null ? result : null, due, sequence);
            });
  }

  private Behavior<Command> onRefreshed(Refreshed refreshed) {
    Credential c = credential;
    c.refreshesPending--;
    AuthResult result = refreshed.result();
    if (result instanceof AuthResult.Grant grant) {
      if (!grant.principal().user().equals(c.auth.user())) {
        answer(
            new ClientEvent.Error(
                AuthResult.Status.FORBIDDEN.code(), "the token is for another user"));
      } else {
        if (refreshed.sequence() > c.refreshApplied) { // an older decision never undoes a newer
          c.refreshApplied = refreshed.sequence();
          c.auth = new Authenticated(grant, c.auth.authenticator());
          c.expiredWhilePending = false;
          mayPublish = grant.mayPublish();
          scheduleExpiry();
          debug("Session {} refreshed its credential", id);
        }
        answer(new ClientEvent.Refreshed(c.auth.grant().expiresAt().orElse(null)));
      }
    } else if (result instanceof AuthResult.Refusal refusal) {
      answer(new ClientEvent.Error(refusal.status().code(), refusal.message()));
    } else {
      answer(new ClientEvent.Error("unavailable", "the token could not be checked; try again"));
    }
    acknowledgeAt(refreshed.due());
    if (c.expiredWhilePending && c.refreshesPending == 0) {
      return expire(); // the refreshes that were under way at the expiry all failed
    }
    return this;
  }

  /** Schedules the close at the credential's expiry; a timer scheduled before no longer counts. */
  private void scheduleExpiry() {
    Credential c = credential;
    if (c.expiry != null) {
      c.expiry.cancel();
      c.expiry = null;
    }
    c.expiryGeneration++;
    Optional<Instant> at = c.auth.grant().expiresAt();
    if (at.isPresent()) {
      Duration left = Duration.between(Instant.now(), at.get());
      // The scheduler takes delays of a few months at most: a later expiry is checked daily.
      Duration wait = left.isNegative() ? Duration.ZERO : left.compareTo(DAY) > 0 ? DAY : left;
      c.expiryFinal = wait != DAY;
      c.expiry =
          getContext()
              .scheduleOnce(wait, getContext().getSelf(), new Expired(c.expiryGeneration));
    }
  }

  private static final Duration DAY = Duration.ofDays(1);

  private Behavior<Command> onExpired(Expired expired) {
    Credential c = credential;
    if (expired.generation() != c.expiryGeneration) {
      return this; // scheduled before a refresh replaced it
    }
    c.expiry = null;
    if (!c.expiryFinal) {
      scheduleExpiry(); // a far expiry: one more day passed
      return this;
    }
    if (c.refreshesPending > 0) {
      // The client asked in time; the answer decides (it comes within client-timeout).
      c.expiredWhilePending = true;
      return this;
    }
    return expire();
  }

  private Behavior<Command> expire() {
    debug("Session {}: its credential expired", id);
    return closeAndLeave(CloseCodes.TOKEN_EXPIRED, "token expired", LeaveReason.CLOSED);
  }

  /** The authentication state of an authenticated session, on the session's thread. */
  private static final class Credential {
    Authenticated auth;
    Cancellable expiry;
    /** Whether {@link #expiry} fires at the expiry itself, not at a daily check before it. */
    boolean expiryFinal;
    int expiryGeneration;
    int refreshesSent;
    /** The sequence number of the newest refresh applied. */
    int refreshApplied;
    int refreshesPending;
    /** The expiry came while refreshes were under way: they decide. */
    boolean expiredWhilePending;

    Credential(Authenticated auth) {
      this.auth = auth;
    }
  }

  private void answer(ClientEvent event) {
    Frame frame = Frame.render(event, codec);
    if (offer(transport, getContext().getSelf(), frame)) {
      metrics.delivered(1, frame.utf8().length());
    }
  }

  /**
   * Looks up a client message's {@code ref}: true when it is new, to be done now; otherwise the
   * message was sent before, and is answered again (or, still under way in a predecessor, when
   * that one is done), and acknowledged, without being done twice.
   */
  private boolean firstTime(String ref, long due) {
    if (refs == null) {
      refs = new SentRefs(refWindow);
    }
    SentRefs.Seen seen = refs.begin(ref, getContext().getSelf());
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
   * Answers a client message at once: remembered under its {@code ref} when it has one (null: an
   * answer without a ref, not remembered).
   */
  private void answerRef(String ref, ClientEvent answer) {
    if (ref != null) {
      finishRef(ref, answer);
    } else {
      answer(answer);
    }
  }

  /**
   * Remembers the answer to a ref and sends it: to this actor's client while it has its
   * connection, and to the session actor that waits for it (a successor whose client sent the
   * ref again).
   */
  private void finishRef(String ref, ClientEvent answer) {
    ActorRef<Command> waiting = refs.finish(ref, answer);
    if (!transportDone) {
      answer(answer);
    }
    if (waiting != null && !waiting.equals(getContext().getSelf())) {
      waiting.tell(new RefAnswered(answer));
    }
  }

  private Behavior<Command> onAnswered(Answered answered) {
    refsUnderWay--;
    finishRef(answered.ref(), answered.answer());
    return onProcessed(answered.by() == Processed.ROOM ? withRoom : withLobby);
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

  private Behavior<Command> onClientBinary(ClientBinary binary) {
    heard = true;
    metrics.clientBinary(binary.data().size());
    long due = admit(binary.data().size());
    if (due == REFUSED) {
      return onRateLimit();
    }
    Transport.Offer echoed = transport.sendBinary(binary.data());
    if (echoed == Transport.Offer.FULL) {
      return onSlowConsumer();
    } else if (echoed == Transport.Offer.ACCEPTED) {
      metrics.delivered(1, binary.data().size());
    }
    acknowledgeAt(due);
    return this;
  }

  private Behavior<Command> onClientAlive() {
    heard = true;
    long due = admit(0);
    if (due == REFUSED) {
      return onRateLimit();
    }
    acknowledgeAt(due);
    return this;
  }

  /** {@link #admit()}: the client is over the limit and is to be closed. */
  private static final long REFUSED = Long.MIN_VALUE + 1;

  /** {@link #admit()}: the message may be acknowledged as soon as its work is done. */
  private static final long NOW = Long.MIN_VALUE;

  /**
   * Counts one client frame of {@code size} payload units against the rate limits: {@link #NOW},
   * {@link #REFUSED} (close mode), or when its acknowledgement is due ({@link System#nanoTime()};
   * throttle mode).
   */
  private long admit(int size) {
    if (!throttle) {
      if (inboundRate.delay(1) > 0 || inboundBytes.delay(size) > 0) {
        return REFUSED;
      }
      inboundRate.take(1);
      inboundBytes.take(size);
      return NOW;
    }
    long wait = Math.max(inboundRate.acquire(1), inboundBytes.acquire(size));
    if (wait == 0) {
      return NOW;
    }
    metrics.rateThrottled();
    return System.nanoTime() + wait;
  }

  private Behavior<Command> onProcessed(DueTimes requests) {
    if (requests == null || requests.size() == 0) {
      warn("Session {} was told of work it did not ask for", id);
    } else {
      acknowledgeAt(requests.poll());
    }
    return this;
  }

  /** Acknowledges one client message now, or when the rate limit allows. */
  private void acknowledgeAt(long due) {
    if (due == NOW || due - System.nanoTime() <= 0) {
      transport.acknowledge();
      return;
    }
    deferred = DueTimes.insertSorted(deferred, due);
    if (ackTimer == null) {
      scheduleAckTimer();
    }
  }

  private Behavior<Command> onAckDue() {
    ackTimer = null;
    long now = System.nanoTime();
    while (deferred.size() > 0 && deferred.first() - now <= 0) {
      deferred.poll();
      transport.acknowledge();
    }
    if (deferred.size() > 0) {
      scheduleAckTimer();
    }
    return this;
  }

  private void scheduleAckTimer() {
    long delay = Math.max(0, deferred.first() - System.nanoTime());
    ackTimer =
        getContext().scheduleOnce(Duration.ofNanos(delay), getContext().getSelf(), AckDue.INSTANCE);
  }

  private Behavior<Command> onRateLimit() {
    debug("Session {} exceeded the inbound rate limit", id);
    metrics.rateClosed();
    return closeAndLeave(CloseCodes.POLICY_VIOLATION, "rate limit", LeaveReason.ERROR);
  }

  private Behavior<Command> onTick(boolean partial) {
    silentFor = heard || partial ? Duration.ZERO : silentFor.plus(heartbeatInterval);
    heard = false;
    if (silentFor.compareTo(clientTimeout) >= 0) {
      debug("Session {} timed out after {} of silence", id, silentFor);
      if (resumable) {
        transport.close(CloseCodes.GOING_AWAY, "client timeout");
        return detach();
      }
      return closeAndLeave(CloseCodes.GOING_AWAY, "client timeout", LeaveReason.TIMEOUT);
    }
    transport.ping();
    return this;
  }

  private Behavior<Command> onTransportClosed() {
    transportDone = true;
    return leave(LeaveReason.CLOSED);
  }

  private Behavior<Command> onTransportFailed(TransportFailed failed) {
    debug("Session {} transport failed: {}", id, LogText.escape(failed.cause()));
    transportDone = true;
    return leave(LeaveReason.ERROR);
  }

  private Behavior<Command> onTransportLost(TransportLost lost) {
    transportDone = true;
    if (lost.cause() != null) {
      debug("Session {} lost its connection: {}", id, LogText.escape(lost.cause()));
    }
    if (resumable) {
      return detach();
    }
    return leave(lost.cause() == null ? LeaveReason.CLOSED : LeaveReason.ERROR);
  }

  /**
   * The connection is gone but the session stays in its room for {@code lobby.recovery.grace}, for
   * its client to resume it: the Lobby decides when it ends. Meanwhile it holds no connection (what
   * its room offers it, its closed transport refuses), ignores heartbeats and acknowledgements, and
   * stops when the Lobby stops it (the grace ended) or tells it {@link Superseded} (its client
   * resumed it on a new connection); either way the Lobby, not this session, tells the room.
   */
  private Behavior<Command> detach() {
    transportDone = true;
    cancelTimers();
    lobby.tell(new Lobby.Detached(id, getContext().getSelf()));
    debug("Session {} waits for its client to resume it", id);
    return Behaviors.receiveMessage(
        message -> {
          if (message instanceof Answered answered) {
            refsUnderWay--;
            finishRef(answered.ref(), answered.answer()); // for its client's next connection
            return Behaviors.same();
          }
          return message == Superseded.INSTANCE ? drainRefs() : Behaviors.same();
        });
  }

  private Behavior<Command> onSuperseded() {
    // Its client came back on another connection while this one still seemed open (half-open).
    debug("Session {} was resumed on another connection", id);
    transport.close(CloseCodes.SESSION_RESUMED, "session resumed");
    transportDone = true;
    cancelTimers();
    return drainRefs();
  }

  /**
   * A successor serves the client now. Requests with a ref that this actor handed to the room or
   * the Lobby are still answered to it: it waits for those answers, for the successor (whose
   * client may send them again), for at most {@code client-timeout}, then stops.
   */
  private Behavior<Command> drainRefs() {
    if (refsUnderWay <= 0) {
      return Behaviors.stopped();
    }
    getContext().scheduleOnce(clientTimeout, getContext().getSelf(), DrainEnded.INSTANCE);
    return Behaviors.receiveMessage(
        message -> {
          if (message instanceof Answered answered) {
            finishRef(answered.ref(), answered.answer());
            return --refsUnderWay <= 0 ? Behaviors.stopped() : Behaviors.same();
          }
          return message == DrainEnded.INSTANCE ? Behaviors.stopped() : Behaviors.same();
        });
  }

  private Behavior<Command> onClientFailed(ClientFailed failed) {
    debug("Session {} broke the protocol: {}", id, LogText.escape(failed.reason()));
    FailAfterSync then = new FailAfterSync(failed.code(), failed.reason());
    roomRef.tell(new Room.Sync(getContext().getSelf(), then));
    return this;
  }

  private Behavior<Command> onFailAfterSync(FailAfterSync failed) {
    return closeAndLeave(failed.code(), failed.reason(), LeaveReason.ERROR);
  }

  private Behavior<Command> onClose(Close close) {
    return closeAndLeave(close.code(), close.reason(), LeaveReason.CLOSED);
  }

  private Behavior<Command> onSlowConsumer() {
    debug("Session {} is a slow consumer", id);
    metrics.slowConsumer();
    transport.closeNow(CloseCodes.POLICY_VIOLATION, "slow consumer");
    transportDone = true;
    return leave(LeaveReason.SLOW_CONSUMER);
  }

  private Behavior<Command> onPostStop() {
    cancelTimers();
    if (!transportDone) {
      // Only reached when the session stops without having left (it failed, or the system stops).
      transport.close(CloseCodes.GOING_AWAY, "session stopped");
    }
    return this;
  }

  private void cancelTimers() {
    if (ackTimer != null) {
      ackTimer.cancel();
    }
    if (credential != null && credential.expiry != null) {
      credential.expiry.cancel();
    }
  }

  /**
   * Logs at DEBUG with this session's id and room in the MDC ({@code sessionId}, {@code room}),
   * set only for the line: an idle session holds no MDC map.
   */
  private void debug(String format, Object... args) {
    org.slf4j.Logger log = getContext().getLog();
    if (log.isDebugEnabled()) {
      try (MDC.MDCCloseable s = MDC.putCloseable("sessionId", id.toString());
          MDC.MDCCloseable r = MDC.putCloseable("room", room.value())) {
        log.debug(format, args);
      }
    }
  }

  /** Logs at WARN with this session's id and room in the MDC, like {@link #debug}. */
  private void warn(String format, Object... args) {
    try (MDC.MDCCloseable s = MDC.putCloseable("sessionId", id.toString());
        MDC.MDCCloseable r = MDC.putCloseable("room", room.value())) {
      getContext().getLog().warn(format, args);
    }
  }

  /**
   * Offers a frame to a session's transport; when the queue is full, tells the session, which
   * then closes its client as a slow consumer. Rooms and the Lobby deliver through this.
   *
   * @return whether the frame was queued
   */
  static boolean offer(Transport transport, ActorRef<Command> session, Frame frame) {
    Transport.Offer outcome = transport.sendText(frame);
    if (outcome == Transport.Offer.FULL) {
      session.tell(SlowConsumer.INSTANCE);
    }
    return outcome == Transport.Offer.ACCEPTED;
  }

  private Behavior<Command> closeAndLeave(int code, String reason, LeaveReason leaveReason) {
    transport.close(code, reason);
    transportDone = true;
    return leave(leaveReason);
  }

  private Behavior<Command> leave(LeaveReason reason) {
    lobby.tell(new Lobby.Leave(id, reason, getContext().getSelf()));
    debug("Session {} leaves room {}: {}", id, room, reason);
    return Behaviors.stopped();
  }

  /**
   * Due times of acknowledgements, in a growable ring: at most {@code inbound-window} entries,
   * since the transport hands out no more unacknowledged messages than that.
   */
  private static final class DueTimes {
    private long[] times = new long[4];
    private int head;
    private int size;

    /** Appends, allocating on first use. */
    static DueTimes add(DueTimes queue, long due) {
      DueTimes q = queue != null ? queue : new DueTimes();
      q.grow();
      q.times[(q.head + q.size) % q.times.length] = due;
      q.size++;
      return q;
    }

    /** Inserts keeping the earliest first (entries are few). */
    static DueTimes insertSorted(DueTimes queue, long due) {
      DueTimes q = add(queue, due);
      for (int i = q.size - 1; i > 0; i--) {
        int at = (q.head + i) % q.times.length;
        int before = (q.head + i - 1) % q.times.length;
        if (q.times[before] - q.times[at] <= 0) {
          break;
        }
        long t = q.times[at];
        q.times[at] = q.times[before];
        q.times[before] = t;
      }
      return q;
    }

    int size() {
      return size;
    }

    long first() {
      return times[head];
    }

    long poll() {
      long t = times[head];
      head = (head + 1) % times.length;
      size--;
      return t;
    }

    private void grow() {
      if (size == times.length) {
        long[] bigger = new long[times.length * 2];
        for (int i = 0; i < size; i++) {
          bigger[i] = times[(head + i) % times.length];
        }
        times = bigger;
        head = 0;
      }
    }
  }
}
