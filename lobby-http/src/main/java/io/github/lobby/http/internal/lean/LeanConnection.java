package io.github.lobby.http.internal.lean;

import io.github.lobby.core.Session;
import io.github.lobby.http.internal.deflate.PerMessageDeflate;
import io.github.lobby.http.internal.guard.HeadGuard;
import io.github.lobby.http.internal.guard.HeadWatch;
import io.github.lobby.http.internal.routes.HttpErrors;
import io.github.lobby.http.internal.ws.WsConnection;
import io.github.lobby.http.internal.ws.WsSignal;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.actor.UntypedAbstractActor;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.util.ByteString;

/**
 * One TCP connection of the lean path: the actor that Pekko IO hands the connection's bytes to, a
 * message switch over the connection's parts. Its {@link UpgradeGate} reads the first request's
 * head; an accepted WebSocket upgrade is answered with 101, and from then on the connection's bytes
 * go straight between the socket and its {@link WsConnection} (no HTTP pipeline, no stream, no
 * per-frame actor besides Pekko IO's own), written by its {@link SocketWriter}. Anything else goes,
 * with the bytes already read, to Pekko HTTP through an {@link HttpBridge}. One {@link
 * ConnectionTimer} bounds whatever the connection waits for.
 *
 * <p>Every connection counts against its address's {@code max-connections-per-ip} from the accept
 * (beyond it: 429, then close), and its client's bytes pass a {@link HeadWatch} until it is a
 * WebSocket: the head deadline ({@code request-head-timeout}, 408), CR LF line ends (400) and the
 * head byte limits (431, 503), on the first head as on every head Pekko HTTP reads afterwards.
 *
 * <p>Reads are pulled ({@code ResumeReading}) only while the session keeps up, so TCP holds back a
 * client that sends faster than it is served.
 *
 * <p>Why an actor per connection on Pekko IO rather than a stream per connection ({@code
 * Tcp().bind}) or a Netty listener: measured side by side (docs/BENCHMARKS.md), the stream costs
 * about 70 % more heap per idle connection and more CPU per connection and per delivery; Netty is
 * about 10 % cheaper per delivery but would add a second I/O layer and dependency next to Pekko's
 * without reaching the targets either.
 */
final class LeanConnection extends UntypedAbstractActor implements WsConnection.Io {

  static Props props(ActorRef tcp, InetSocketAddress remote, LeanShared shared) {
    return Props.create(LeanConnection.class, () -> new LeanConnection(tcp, remote, shared));
  }

  private final ActorRef tcp;
  private final InetSocketAddress remote;
  private final LeanShared shared;
  private final UpgradeGate gate;
  private final ConnectionTimer timer;

  /** The WebSocket and its writer, once an upgrade is accepted. */
  private WsConnection ws;

  private SocketWriter writer;

  /** Pekko HTTP's side, once the connection is handed to it. */
  private HttpBridge http;

  private boolean reading;

  /** Whether the socket is being closed: what is read now is dropped. */
  private boolean closing;

  private String ioFailure;

  /**
   * The request-head guard, until the connection is a WebSocket (then null: a session does not
   * keep its half kilobyte).
   */
  private HeadWatch watch;

  /** Whether the connection is counted against its address's limit. */
  private boolean counted;

  private LeanConnection(ActorRef tcp, InetSocketAddress remote, LeanShared shared) {
    this.tcp = tcp;
    this.remote = remote;
    this.shared = shared;
    this.gate = new UpgradeGate(shared, remote, getSelf());
    this.timer = new ConnectionTimer(getContext());
    this.watch = shared.guard().watch(System.nanoTime());
  }

  @Override
  public void preStart() {
    // No death watch on the socket actor: it always reports how the connection ended
    // (ConnectionClosed), and a watch costs two system messages and two sets per connection.
    tcp.tell(TcpMessage.register(getSelf(), true, false), getSelf());
    if (!shared.context().admission().openConnection(remote.getAddress())) {
      refuse(
          HttpErrors.responseBytes(429, shared.context().admission().addressFullMessage()));
      return;
    }
    counted = true;
    timer.start(shared.guard().headTimeout(), LeanSignal.Timeout.HEAD);
    resumeReading();
  }

  @Override
  public void postStop() {
    timer.cancel();
    if (ws != null) {
      ws.stopped(ioFailure);
    }
    gate.release(); // ended while it was being authenticated
    if (watch != null) {
      watch.release();
    }
    if (counted) {
      shared.context().admission().closeConnection(remote.getAddress());
    }
    getContext().getParent().tell(LeanListener.Command.CONNECTION_ENDED, ActorRef.noSender());
  }

  // One method rather than a receive builder, which would allocate its cases for every
  // connection (about 1.7 KB each).
  @Override
  public void onReceive(Object message) {
    if (message instanceof Tcp.Received received) {
      onReceived(received.data());
    } else if (message instanceof WsSignal signal) {
      onSignal(signal);
    } else if (message == LeanSignal.WriteAck.INSTANCE) {
      if (http != null) {
        http.onWritten(); // WebSocket writes are acknowledged to the SocketWriter
      }
    } else if (message instanceof Tcp.ConnectionClosed closed) {
      onConnectionClosed(closed);
    } else if (message instanceof Tcp.CommandFailed) {
      abort("write failed");
    } else if (message instanceof LeanSignal.Timeout timeout) {
      onTimeout(timeout);
    } else if (message instanceof LeanSignal.Bridge bridge) {
      onBridge(bridge);
    } else if (message instanceof ByteString bytes) {
      onAnswer(bytes);
    } else if (message instanceof LeanSignal.SinkFailed) {
      onHttpDone();
    } else if (message instanceof LeanSignal.AuthDecided decided) {
      onAuthDecided(decided);
    } else if (message == LeanSignal.Terminate.INSTANCE) {
      onTerminate();
    } else if (message instanceof org.apache.pekko.actor.typed.ActorRef<?> session) {
      @SuppressWarnings("unchecked")
      org.apache.pekko.actor.typed.ActorRef<Session.Command> ref =
          (org.apache.pekko.actor.typed.ActorRef<Session.Command>) session;
      if (ws != null) {
        ws.sessionReady(ref);
      }
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
    } else if (http != null) {
      if (guarded(data)) {
        http.onBytes(data);
      }
    } else {
      onHead(data);
    }
  }

  private void onHead(ByteString data) {
    if (!guarded(data)) {
      return;
    }
    UpgradeGate.Step step = gate.read(data);
    if (step == UpgradeGate.Next.READ_MORE) {
      resumeReading();
    } else if (step instanceof UpgradeGate.Accept accept) {
      startWebSocket(accept);
    } else if (step == UpgradeGate.Next.HTTP) {
      startHttp();
    } else {
      // AUTHENTICATING: nothing more is read until the authenticator has decided, which it does
      // within ask-timeout; the head is complete, so its deadline no longer runs.
      timer.start(
          shared.context().http().askTimeout().plus(shared.context().http().closeTimeout()),
          LeanSignal.Timeout.HEAD);
    }
  }

  /**
   * Passes the client's bytes through the head guard: whether they may go on; if not, the
   * connection is being refused.
   */
  private boolean guarded(ByteString data) {
    HeadWatch.Verdict verdict = watch.onClientBytes(data);
    if (verdict == HeadWatch.Verdict.PASS) {
      return true;
    }
    refuse(verdict.status() != 0 && watch.mayAnswer() ? HeadGuard.answer(verdict) : null);
    return false;
  }

  private void onAuthDecided(LeanSignal.AuthDecided decided) {
    if (closing || ws != null || !gate.open()) {
      return; // the connection ended or timed out meanwhile
    }
    UpgradeGate.Step step = gate.decided(decided);
    if (step instanceof UpgradeGate.Accept accept) {
      startWebSocket(accept);
    } else if (step instanceof UpgradeGate.Refuse refuse) {
      timer.cancel();
      closing = true;
      tcp.tell(TcpMessage.write(refuse.response()), getSelf());
      tcp.tell(TcpMessage.close(), getSelf()); // after the answer is written
    }
  }

  private void onConnectionClosed(Tcp.ConnectionClosed closed) {
    if (closed.isPeerClosed() && !closing) {
      if (http != null) {
        http.clientClosed();
        return;
      }
      // A WebSocket client that goes without a Close frame, or a client that never finished
      // its request: the connection is over.
      closing();
      tcp.tell(TcpMessage.close(), getSelf());
      return;
    }
    if (closed.isErrorClosed()) {
      ioFailure = "connection failed";
    }
    getContext().stop(getSelf());
  }

  // ---- the WebSocket ----

  private void startWebSocket(UpgradeGate.Accept accept) {
    timer.cancel();
    watch.release(); // a WebSocket has no more request heads
    watch = null;
    ByteString rest = gate.takeRest(accept.head());
    ws = new WsConnection(shared.context(), accept.upgrade(), this);
    if (gate.handOverPlace()) {
      ws.alreadyAdmitted();
    }
    writer = new SocketWriter(getContext(), tcp, ws);
    writer.start(
        UpgradeHead.switchingProtocols(
            accept.head(),
            accept.upgrade().deflate().map(PerMessageDeflate.Agreement::response).orElse(null)));
    ws.start(Adapter.toTyped(getSelf()));
    if (!rest.isEmpty()) {
      ws.onBytes(rest);
    }
    inputReady();
  }

  private void onSignal(WsSignal signal) {
    if (ws == null) {
      return;
    }
    if (signal == WsSignal.WAKE) {
      pump(); // the waker took the token for us
    } else {
      ws.onSignal(signal);
    }
  }

  /** Writes with the token held; ends the connection once the WebSocket is done. */
  private void pump() {
    writer.pump();
    if (ws.done() && !closing) {
      closing();
      timer.cancel();
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
      timer.start(shared.context().http().closeTimeout(), LeanSignal.Timeout.FINISH);
    }
  }

  @Override
  public void signal(WsSignal signal) {
    getSelf().tell(signal, ActorRef.noSender());
  }

  @Override
  public void outputReady() {
    if (writer.takeToken()) {
      pump();
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
      timer.start(shared.context().http().closeTimeout(), LeanSignal.Timeout.CLOSE);
    }
  }

  @Override
  public void finish() {
    outputReady();
  }

  // ---- plain HTTP ----

  private void startHttp() {
    timer.cancel();
    http =
        new HttpBridge(
            tcp, getSelf(), shared.http().apply(remote), shared.materializer(), gate.takeHead());
    checkAt(shared.idleTimeout());
  }

  /** Bytes of an answer from Pekko HTTP: watched, then written. */
  private void onAnswer(ByteString bytes) {
    if (closing) {
      return; // the connection is being refused or closed: nothing more goes out
    }
    boolean deadlineStarted = watch.onAnswerBytes(bytes);
    http.onAnswer(bytes, getSender());
    if (watch.closeAfterAnswer()) {
      onHttpDone(); // closes once the answer is written
    } else if (deadlineStarted) {
      checkAt(shared.idleTimeout());
    }
  }

  /**
   * Sets the check of a plain HTTP connection for the head deadline or {@code idle} from now,
   * whichever comes first.
   */
  private void checkAt(Duration idle) {
    long left = watch.nanosLeft(System.nanoTime());
    Duration next = left < idle.toNanos() ? Duration.ofNanos(Math.max(0, left) + 1_000_000) : idle;
    timer.start(next, LeanSignal.Timeout.IDLE_CHECK);
  }

  private void onBridge(LeanSignal.Bridge message) {
    switch (message) {
      case SOURCE_ACK -> {
        if (http.onSourceAck()) {
          resumeReading();
        }
      }
      case SINK_INIT -> http.onSinkInit(getSender());
      case SINK_DONE -> onHttpDone();
      default -> {} // SOURCE_DONE and SINK_ACK go to the bridge's stream, not here
    }
  }

  private void onHttpDone() {
    if (!closing) {
      closing = true;
      tcp.tell(TcpMessage.close(), getSelf());
    }
  }

  // ---- timeouts and the end ----

  private void onTimeout(LeanSignal.Timeout timeout) {
    switch (timeout) {
      case HEAD -> {
        timer.fired();
        if (ws == null && http == null && !closing) {
          long left = watch.nanosLeft(System.nanoTime());
          if (left == Long.MAX_VALUE) {
            abort(null); // the authenticator did not decide in time
          } else if (left > 0) {
            timer.start(Duration.ofNanos(left + 1_000_000), LeanSignal.Timeout.HEAD);
          } else {
            headTimedOut();
          }
        }
      }
      case IDLE_CHECK -> {
        timer.fired();
        if (closing) {
          return;
        }
        if (watch.nanosLeft(System.nanoTime()) <= 0) {
          headTimedOut();
          return;
        }
        Duration next = http.nextIdleCheck(shared.idleTimeout(), watch.lastProgress());
        if (next == null) {
          abort(null);
        } else {
          checkAt(next);
        }
      }
      case CLOSE -> {
        timer.fired();
        if (ws != null && !closing) {
          // The client did not answer our Close, or does not read what we write: drop it.
          abort(null);
        }
      }
      case FINISH -> abort(null);
    }
  }

  private void onTerminate() {
    if (http != null) {
      http.terminate();
    } else if (ws == null) {
      abort(null);
    }
  }

  /**
   * The head deadline passed: 408 when part of a head arrived and no answer is under way, else a
   * silent close.
   */
  private void headTimedOut() {
    refuse(watch.headStarted() && watch.mayAnswer() ? HeadGuard.timeoutAnswer() : null);
  }

  /**
   * Ends a connection that is not a WebSocket: writes {@code answer}, half-closes and reads on
   * (dropping what comes) until the client closes or {@code close-timeout} passes, so that bytes
   * the client still sends do not reset the connection under the answer; without an answer,
   * just closes.
   */
  private void refuse(ByteString answer) {
    timer.cancel();
    closing();
    if (answer == null) {
      tcp.tell(TcpMessage.close(), getSelf());
      return;
    }
    tcp.tell(TcpMessage.write(answer), getSelf());
    tcp.tell(TcpMessage.confirmedClose(), getSelf());
    resumeReading();
    timer.start(shared.context().http().closeTimeout(), LeanSignal.Timeout.FINISH);
  }

  /** The socket is being closed: the writer writes nothing more of its own accord. */
  private void closing() {
    closing = true;
    if (writer != null) {
      writer.stop();
    }
  }

  private void abort(String failure) {
    if (failure != null && ioFailure == null) {
      ioFailure = failure;
    }
    tcp.tell(TcpMessage.abort(), getSelf());
    getContext().stop(getSelf());
  }
}
