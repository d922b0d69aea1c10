package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Session;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.UntypedAbstractActor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.stream.CompletionStrategy;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * One TCP connection of the lean path: the actor that Pekko IO hands the connection's bytes to.
 *
 * <p>It reads the head of the first request ({@link UpgradeHead}). An accepted WebSocket upgrade is
 * answered with 101 here, and from then on the connection's bytes go straight between the socket
 * and its {@link WsConnection}: no HTTP pipeline, no stream, no per-frame actor besides Pekko IO's
 * own. Anything else is handed, with the bytes already read, to Pekko HTTP's server layer joined
 * with the routes ({@link Shared#http()}), bridged to this actor with backpressure both ways; from
 * then on the connection is an ordinary Pekko HTTP connection (keep-alive, pipelining, limits and
 * error answers included).
 *
 * <p>Writes: one write at a time per connection, acknowledged before the next. A frame offered
 * while the connection is idle is written by the offering room's thread itself; what queues while a
 * write is in flight goes out as one {@code Write} (frames coalesced in one buffer) when it is
 * acknowledged, so a burst costs one system call and a client that does not read holds at most one
 * write and its bounded queue (see the writing section below and {@link Outbox}). Reads are pulled
 * ({@code ResumeReading}) only while the session keeps up, so TCP holds back a client that sends
 * faster than it is served.
 *
 * <p>Why an actor per connection on Pekko IO rather than a stream per connection ({@code
 * Tcp().bind}) or a Netty listener: measured side by side (docs/BENCHMARKS.md), the stream costs
 * about 70 % more heap per idle connection and more CPU per connection and per delivery; Netty is
 * about 10 % cheaper per delivery but would add a second I/O layer and dependency next to Pekko's
 * without reaching the targets either.
 */
final class LeanConnection extends UntypedAbstractActor implements WsConnection.Io {

  /**
   * What every connection of a binding shares.
   *
   * @param idleTimeout how long an unfinished request head or an idle plain HTTP connection may
   *     stay (Pekko HTTP's {@code idle-timeout})
   */
  record Shared(
      SessionFlow.Context context,
      Function<InetSocketAddress, org.apache.pekko.stream.javadsl.Flow<ByteString, ByteString, ?>>
          http,
      org.apache.pekko.stream.Materializer materializer,
      int maxHead,
      int maxUri,
      Duration idleTimeout) {

    /**
     * What the connections of a binding share: the WebSocket context of {@code routes}, and for
     * plain HTTP, Pekko HTTP's server layer (with Lobby's parser settings) joined with {@code
     * route}.
     */
    static Shared create(
        ActorSystem<?> system, LobbyRoutes routes, Route route, Class<?> logSource) {
      ServerSettings defaults = ServerSettings.create(system.settings().config());
      ServerSettings settings =
          defaults
              // Plain HTTP connections rarely repeat header values: caching them only copies the
              // header parser's tables into every connection.
              .withParserSettings(
                  defaults
                      .getParserSettings()
                      .withHeaderValueCacheLimits(Map.<String, Object>of("default", 0)))
              // The per-address connection limit needs the peer address of each request.
              .withRemoteAddressAttribute(true)
              .withParsingErrorHandler(JsonParsingErrorHandler.class.getName());
      org.apache.pekko.stream.javadsl.Flow<HttpRequest, HttpResponse, NotUsed> handler =
          route.flow(system);
      Http pekkoHttp = Http.get(system);
      LoggingAdapter log = Logging.getLogger(system.classicSystem(), logSource);
      @SuppressWarnings({"unchecked", "rawtypes"})
      BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> placebo =
          (BidiFlow) TLSPlacebo.getInstance();
      Function<InetSocketAddress, org.apache.pekko.stream.javadsl.Flow<ByteString, ByteString, ?>>
          http =
              remote ->
                  handler.join(
                      pekkoHttp.serverLayer(settings, Optional.of(remote), log).atop(placebo));
      // A head longer than Pekko HTTP's own limits could hold goes to Pekko HTTP, which answers
      // it with 414 or 431.
      int maxHead =
          (int)
              Math.min(
                  64 * 1024,
                  settings.getParserSettings().getMaxUriLength()
                      + (long) settings.getParserSettings().getMaxHeaderCount()
                          * settings.getParserSettings().getMaxHeaderValueLength()
                          / 4);
      return new Shared(
          routes.context(),
          http,
          Materializer.matFromSystem(system),
          maxHead,
          (int) Math.min(Integer.MAX_VALUE, settings.getParserSettings().getMaxUriLength()),
          pekkoIdleTimeout(system));
    }

    /** Pekko HTTP's {@code idle-timeout}, which plain connections and unfinished heads get too. */
    private static Duration pekkoIdleTimeout(ActorSystem<?> system) {
      Config c = system.settings().config();
      String path = "pekko.http.server.idle-timeout";
      return "infinite".equals(c.getString(path)) ? Duration.ofDays(3650) : c.getDuration(path);
    }

    /** The WebSocket of an accepted upgrade from {@code remote}, joined to {@code io}. */
    WsConnection webSocket(
        UpgradeHead.Upgrade upgrade,
        InetSocketAddress remote,
        Optional<Authenticated> auth,
        WsConnection.Io io) {
      Mode mode = upgrade.json() ? Mode.JSON : Mode.CLASSIC;
      return new WsConnection(
          context,
          upgrade.room(),
          mode,
          Optional.of(remote.getAddress()),
          auth,
          upgrade.recovery(),
          upgrade.resume(),
          io);
    }

    /**
     * Whether an upgrade passes the checks that the routes would answer with an error (Origin,
     * connection limits); one that does not goes to Pekko HTTP for that answer.
     */
    boolean admissible(UpgradeHead.Upgrade upgrade, InetSocketAddress remote) {
      HttpSettings settings = context.http();
      if (upgrade.origin() != null
          && !settings.allowedOrigins().isEmpty()
          && settings.allowedOrigins().stream().noneMatch(upgrade.origin()::equalsIgnoreCase)) {
        return false;
      }
      return context.admission().check(Optional.of(remote.getAddress())).isEmpty();
    }
  }

  /** Tells a connection that the server stops: plain HTTP connections finish and close. */
  static final Object TERMINATE = new Object();

  private static final Object WRITE_ACK = new WriteAck();
  private static final Object CLOSE_TIMEOUT = new Object();
  private static final Object FINISH_TIMEOUT = new Object();
  private static final Object HEAD_TIMEOUT = new Object();
  private static final Object IDLE_CHECK = new Object();
  private static final Object SOURCE_ACK = new Object();
  private static final Object SOURCE_DONE = new Object();
  private static final Object SINK_INIT = new Object();
  private static final Object SINK_ACK = new Object();
  private static final Object SINK_DONE = new Object();

  /** Write acknowledgements are Tcp events. */
  private static final class WriteAck implements Tcp.Event {}

  private record SinkFailed(Throwable cause) {}

  /** The authenticator decided on the upgrade. */
  private record AuthDecided(UpgradeHead.Upgrade upgrade, AuthResult result) {}

  static Props props(ActorRef tcp, InetSocketAddress remote, Shared shared) {
    return Props.create(LeanConnection.class, () -> new LeanConnection(tcp, remote, shared));
  }

  private final ActorRef tcp;
  private final InetSocketAddress remote;
  private final Shared shared;

  private ByteString head = ByteString.emptyByteString();
  private WsConnection ws;
  private boolean httpWriting;
  /** Whether this connection holds a place under the limits while it is being authenticated. */
  private boolean authAdmitted;
  private boolean reading;
  private volatile boolean closing;

  /** Whether the owner wants the write token back at the next acknowledgement. */
  private volatile boolean ownerWants;

  /** Where WebSocket writes are acknowledged: a function run on the socket actor's thread. */
  private ActorRef acks;

  private Cancellable timer;
  private String ioFailure;

  // Plain HTTP, bridged to Pekko HTTP's server layer.
  private ActorRef httpIn;
  private ActorRef httpOut;
  private boolean httpInBusy;
  private boolean peerClosed;
  private long lastActivity;

  private LeanConnection(ActorRef tcp, InetSocketAddress remote, Shared shared) {
    this.tcp = tcp;
    this.remote = remote;
    this.shared = shared;
  }

  @Override
  public void preStart() {
    // No death watch on the socket actor: it always reports how the connection ended
    // (ConnectionClosed), and a watch costs two system messages and two sets per connection.
    tcp.tell(TcpMessage.register(getSelf(), true, false), getSelf());
    timer = schedule(shared.idleTimeout(), HEAD_TIMEOUT);
    resumeReading();
  }

  @Override
  public void postStop() {
    if (timer != null) {
      timer.cancel();
    }
    if (ws != null) {
      ws.stopped(ioFailure);
    }
    releaseAuthPlace(); // ended while it was being authenticated
    getContext().getParent().tell(LeanListener.CONNECTION_ENDED, ActorRef.noSender());
  }

  // One method rather than a receive builder, which would allocate its cases for every
  // connection (about 1.7 KB each).
  @Override
  public void onReceive(Object message) {
    if (message instanceof Tcp.Received received) {
      onReceived(received.data());
    } else if (message == WRITE_ACK) {
      onWriteAck();
    } else if (message instanceof Tcp.ConnectionClosed closed) {
      onConnectionClosed(closed);
    } else if (message instanceof Tcp.CommandFailed) {
      abort("write failed");
    } else if (message == CLOSE_TIMEOUT) {
      onCloseTimeout();
    } else if (message == FINISH_TIMEOUT) {
      abort(null);
    } else if (message == HEAD_TIMEOUT) {
      onHeadTimeout();
    } else if (message == IDLE_CHECK) {
      onIdleCheck();
    } else if (message == TERMINATE) {
      onTerminate();
    } else if (message == SOURCE_ACK) {
      onSourceAck();
    } else if (message instanceof AuthDecided decided) {
      onAuthDecided(decided);
    } else if (message == SINK_INIT) {
      getSender().tell(SINK_ACK, getSelf());
    } else if (message instanceof org.apache.pekko.actor.typed.ActorRef<?> session) {
      @SuppressWarnings("unchecked")
      org.apache.pekko.actor.typed.ActorRef<Session.Command> ref =
          (org.apache.pekko.actor.typed.ActorRef<Session.Command>) session;
      if (ws != null) {
        ws.sessionReady(ref);
      }
    } else if (message instanceof ByteString bytes) {
      onHttpOut(bytes);
    } else if (message == SINK_DONE || message instanceof SinkFailed) {
      onHttpDone();
    } else {
      onSignal(message);
    }
  }

  // ---- reading ----

  private void resumeReading() {
    if (!reading) {
      reading = true;
      tcp.tell(TcpMessage.resumeReading(), getSelf());
    }
  }

  private void onReceived(ByteString data) {
    reading = false;
    if (closing) {
      if (ws == null || ws.drainsAfterClose()) {
        resumeReading(); // draining until the client's FIN
      }
    } else if (ws != null) {
      ws.onBytes(data);
      inputReady();
    } else if (httpIn != null) {
      lastActivity = System.nanoTime();
      httpIn.tell(data, getSelf());
      httpInBusy = true;
    } else {
      onHead(data);
    }
  }

  private void onHead(ByteString data) {
    head = head.concat(data);
    UpgradeHead.Result result =
        UpgradeHead.parse(head, data.size(), shared.maxHead(), shared.maxUri());
    if (result == UpgradeHead.Incomplete.INSTANCE) {
      resumeReading();
    } else if (result instanceof UpgradeHead.Upgrade upgrade
        && shared.admissible(upgrade, remote)) {
      Optional<Authenticator> authenticator = shared.context().authenticator();
      if (authenticator.isEmpty()) {
        startWebSocket(upgrade, Optional.empty());
        return;
      }
      // The connection takes its place under the limits before the authenticator is asked, so
      // that upgrades waiting for it count: one address cannot hold more of them than its limit.
      if (shared.context().admission().admit(address()).isPresent()) {
        startHttp(); // the routes answer 503 or 429
        return;
      }
      authAdmitted = true;
      // Nothing more is read until the authenticator has decided, within ask-timeout.
      ActorRef self = getSelf();
      UpgradeAuth.authenticate(
              authenticator.get(),
              UpgradeHead.connectRequest(upgrade, address()),
              shared.context().http().askTimeout())
          .thenAccept(decision -> self.tell(new AuthDecided(upgrade, decision), self));
    } else {
      startHttp();
    }
  }

  private void onAuthDecided(AuthDecided decided) {
    if (closing || ws != null || head == null) {
      return; // the connection ended or timed out meanwhile
    }
    if (decided.result() instanceof AuthResult.Grant grant) {
      startWebSocket(
          decided.upgrade(),
          Optional.of(new Authenticated(grant, shared.context().authenticator().orElseThrow())));
    } else {
      // Refused before the upgrade: the error answer, then the connection ends (Close flushes it).
      releaseAuthPlace();
      cancelTimer();
      head = null;
      closing = true;
      tcp.tell(TcpMessage.write(UpgradeAuth.responseBytes((AuthResult.Refusal) decided.result())), getSelf());
      tcp.tell(TcpMessage.close(), getSelf());
    }
  }

  private Optional<java.net.InetAddress> address() {
    return Optional.of(remote.getAddress());
  }

  /** Gives back the place an upgrade took while it was being authenticated. */
  private void releaseAuthPlace() {
    if (authAdmitted) {
      authAdmitted = false;
      shared.context().admission().release(address());
    }
  }

  private void startWebSocket(UpgradeHead.Upgrade upgrade, Optional<Authenticated> auth) {
    cancelTimer();
    ByteString rest = head.drop(upgrade.headLength());
    head = null;
    ws = shared.webSocket(upgrade, remote, auth, this);
    if (authAdmitted) {
      authAdmitted = false; // the place goes with the connection, which gives it back
      ws.alreadyAdmitted();
    }
    acks =
        WriteAcks.register(
            getContext(),
            message -> {
              if (message == WRITE_ACK) {
                onWritten();
              } else {
                getSelf().tell(message, ActorRef.noSender()); // a failed write: this actor aborts
              }
            });
    ActorRef socket = tcp;
    ActorRef acknowledged = acks;
    ws.outbox()
        .writeDirectly(
            frame ->
                socket.tell(
                    TcpMessage.write(
                        FrameEncoder.frame(frame.opcode(), frame.data()), (Tcp.Event) WRITE_ACK),
                    acknowledged));
    // The 101 goes out first, with the token held until it is written: frames that rooms offer
    // meanwhile queue behind it, and this actor drains them after it.
    ws.outbox().acquire();
    ownerWants = true;
    tcp.tell(
        TcpMessage.write(UpgradeHead.switchingProtocols(upgrade), (Tcp.Event) WRITE_ACK), acks);
    ws.start(Adapter.toTyped(getSelf()));
    if (!rest.isEmpty()) {
      ws.onBytes(rest);
    }
    inputReady();
  }

  private void onConnectionClosed(Tcp.ConnectionClosed closed) {
    if (closed.isPeerClosed() && !closing) {
      peerClosed = true;
      if (httpIn != null) {
        // The client sent all its requests: Pekko HTTP answers them, then the sink completes.
        if (!httpInBusy) {
          httpIn.tell(SOURCE_DONE, getSelf());
        }
        return;
      }
      // A WebSocket client that goes without a Close frame, or a client that never finished
      // its request: the connection is over.
      closing = true;
      tcp.tell(TcpMessage.close(), getSelf());
      return;
    }
    if (closed.isErrorClosed()) {
      ioFailure = "connection failed";
    }
    getContext().stop(getSelf());
  }

  // ---- writing ----
  //
  // The Outbox's token says who writes (see Outbox): an offer on a room's thread that finds the
  // socket idle writes its frame itself; otherwise frames queue. Writes are acknowledged to
  // `acks`, a function that runs on the socket actor's own thread when the write is done: it
  // writes what queued meanwhile as one buffer, or gives the token back, without a message to
  // this actor. At moderate rates a delivery is then one message to the socket actor and one
  // system call. This actor takes the token for its own frames (101, Pong, Ping, Close): when a
  // write is in flight it asks for the token (ownerWants) and gets it with a WAKE. It keeps the
  // token for good once closing.

  /** Runs on the socket actor's thread when a WebSocket write is done; holds the token. */
  private void onWritten() {
    if (closing) {
      return;
    }
    if (ownerWants) {
      getSelf().tell(Outbox.WAKE, ActorRef.noSender()); // the token goes to this actor
      return;
    }
    Outbox outbox = ws.outbox();
    outbox.sampleDepth();
    while (true) {
      ByteStringBuilder out = FrameEncoder.coalesce(null, outbox::poll);
      if (out != null) {
        tcp.tell(TcpMessage.write(out.result(), (Tcp.Event) WRITE_ACK), acks);
        return;
      }
      if (!outbox.release()) {
        // Given back; this actor may have asked for it meanwhile.
        if (ownerWants && outbox.acquire()) {
          getSelf().tell(Outbox.WAKE, ActorRef.noSender());
        }
        return;
      }
    }
  }

  /** Writes this actor's frames and everything queued as one buffer, with the token held. */
  private void pump() {
    ownerWants = false;
    Outbox outbox = ws.outbox();
    while (true) {
      ByteStringBuilder out = closing ? null : FrameEncoder.coalesce(null, ws::nextFrame);
      if (out != null) {
        ownerWants = true; // come back here after this write: more of ours may follow
        tcp.tell(TcpMessage.write(out.result(), (Tcp.Event) WRITE_ACK), acks);
        break;
      }
      if (ws.done() || closing || !outbox.release()) {
        break;
      }
    }
    if (ws.done() && !closing) {
      closing = true;
      cancelTimer();
      if (ws.handshakeComplete()) {
        tcp.tell(TcpMessage.close(), getSelf()); // after the pending write
      } else {
        // Our Close is written (or queued behind the write above): send FIN, read on until the
        // client's FIN so that unread bytes do not reset the connection under the Close frame.
        tcp.tell(TcpMessage.confirmedClose(), getSelf());
        if (ws.drainsAfterClose()) {
          resumeReading();
        }
      }
      timer = schedule(shared.context().http().closeTimeout(), FINISH_TIMEOUT);
    }
  }

  private void onWriteAck() {
    if (httpOut != null) {
      httpWriting = false;
      httpOut.tell(SINK_ACK, getSelf());
    }
  }

  // ---- WsConnection.Io ----

  @Override
  public void signal(Object signal) {
    getSelf().tell(signal, ActorRef.noSender());
  }

  private void onSignal(Object signal) {
    if (ws == null) {
      return;
    }
    if (signal == Outbox.WAKE) {
      pump(); // the waker took the token for us
    } else {
      ws.onSignal(signal);
    }
  }

  @Override
  public void outputReady() {
    if (ws.outbox().acquire()) {
      pump();
    } else {
      // A write is in flight (or a WAKE on its way): ask for the token, then look again in
      // case it was given back before the request was seen.
      ownerWants = true;
      if (ws.outbox().acquire()) {
        pump();
      }
    }
  }

  @Override
  public void inputReady() {
    if (closing || ws.wantsRead()) {
      resumeReading();
    }
  }

  @Override
  public void startCloseTimer() {
    if (!closing) {
      cancelTimer();
      timer = schedule(shared.context().http().closeTimeout(), CLOSE_TIMEOUT);
    }
  }

  @Override
  public void finish() {
    outputReady();
  }

  private void onCloseTimeout() {
    timer = null;
    if (ws != null && !closing) {
      // The client did not answer our Close, or does not read what we write: drop it.
      abort(null);
    }
  }

  // ---- plain HTTP ----

  private void startHttp() {
    cancelTimer();
    lastActivity = System.nanoTime();
    ActorRef self = getSelf();
    httpIn =
        Source.<ByteString>actorRefWithBackpressure(
                SOURCE_ACK,
                message ->
                    message == SOURCE_DONE
                        ? Optional.of(CompletionStrategy.draining())
                        : Optional.empty(),
                message -> Optional.empty())
            .via(shared.http().apply(remote))
            .to(
                Sink.actorRefWithBackpressure(
                    self, SINK_INIT, SINK_ACK, SINK_DONE, SinkFailed::new))
            .run(shared.materializer());
    ByteString bytes = head;
    head = null;
    httpIn.tell(bytes, self);
    httpInBusy = true;
    timer = schedule(shared.idleTimeout(), IDLE_CHECK);
  }

  private void onSourceAck() {
    httpInBusy = false;
    if (peerClosed) {
      httpIn.tell(SOURCE_DONE, getSelf());
    } else {
      resumeReading();
    }
  }

  private void onHttpOut(ByteString bytes) {
    httpOut = getSender();
    lastActivity = System.nanoTime();
    httpWriting = true;
    tcp.tell(TcpMessage.write(bytes, (Tcp.Event) WRITE_ACK), getSelf());
  }

  private void onHttpDone() {
    if (!closing) {
      closing = true;
      tcp.tell(TcpMessage.close(), getSelf());
    }
  }

  private void onIdleCheck() {
    long idle = System.nanoTime() - lastActivity;
    if (idle >= shared.idleTimeout().toNanos() && !httpWriting) {
      abort(null);
    } else {
      timer =
          schedule(shared.idleTimeout().minusNanos(Math.max(0, idle)).plusMillis(10), IDLE_CHECK);
    }
  }

  private void onHeadTimeout() {
    timer = null;
    if (ws == null && httpIn == null) {
      abort(null); // a connection that never finished its first request
    }
  }

  private void onTerminate() {
    if (httpIn != null && !peerClosed) {
      peerClosed = true;
      if (!httpInBusy) {
        httpIn.tell(SOURCE_DONE, getSelf());
      }
    } else if (ws == null && httpIn == null) {
      abort(null);
    }
  }

  // ---- helpers ----

  private void abort(String failure) {
    if (failure != null && ioFailure == null) {
      ioFailure = failure;
    }
    tcp.tell(TcpMessage.abort(), getSelf());
    getContext().stop(getSelf());
  }

  private Cancellable schedule(Duration delay, Object message) {
    return getContext()
        .getSystem()
        .scheduler()
        .scheduleOnce(delay, getSelf(), message, getContext().getDispatcher(), ActorRef.noSender());
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel();
      timer = null;
    }
  }
}
