package io.github.lobby.http.internal.lean;

import java.time.Duration;
import java.util.Optional;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.stream.CompletionStrategy;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * A lean connection that is not a WebSocket upgrade the lean path takes, handed to Pekko HTTP's
 * server layer joined with the routes ({@link LeanShared#http()}): the client's bytes go in
 * through an actor source, the answers come out through an actor sink, both with backpressure, so
 * that Pekko HTTP serves the connection as any other of its own (keep-alive, pipelining, limits and
 * error answers included). The connection's actor reads the socket only when the source has taken
 * the last read ({@link LeanSignal.Bridge#SOURCE_ACK}), and acknowledges the sink's bytes once they
 * are written ({@link LeanSignal.WriteAck}).
 */
final class HttpBridge {

  private final ActorRef tcp;
  private final ActorRef connection;
  private final ActorRef in;
  private ActorRef out;

  /** Whether the source has not yet taken the last bytes it was given. */
  private boolean inBusy;

  /** Whether the client is done sending (it half-closed, or the server stops). */
  private boolean peerClosed;

  /** Whether an answer is being written: a connection busy writing is not idle. */
  private boolean writing;

  /** When an answer's bytes last went out (the client's bytes do not count, see below). */
  private long lastActivity;

  /**
   * Starts Pekko HTTP on the connection with the bytes already read.
   *
   * @param http Pekko HTTP's server layer joined with the routes, for this connection
   * @param head the bytes read so far (the start of the first request)
   */
  HttpBridge(
      ActorRef tcp,
      ActorRef connection,
      Flow<ByteString, ByteString, ?> http,
      Materializer materializer,
      ByteString head) {
    this.tcp = tcp;
    this.connection = connection;
    lastActivity = System.nanoTime();
    in =
        Source.<ByteString>actorRefWithBackpressure(
                LeanSignal.Bridge.SOURCE_ACK,
                message ->
                    message == LeanSignal.Bridge.SOURCE_DONE
                        ? Optional.of(CompletionStrategy.draining())
                        : Optional.empty(),
                message -> Optional.empty())
            .via(http)
            .to(
                Sink.actorRefWithBackpressure(
                    connection,
                    LeanSignal.Bridge.SINK_INIT,
                    LeanSignal.Bridge.SINK_ACK,
                    LeanSignal.Bridge.SINK_DONE,
                    LeanSignal.SinkFailed::new))
            .run(materializer);
    in.tell(head, connection);
    inBusy = true;
  }

  /** More bytes from the client. */
  void onBytes(ByteString data) {
    // Not activity: a client that sends a byte now and then must not keep the connection (the
    // head guard's progress, completed heads and bodies, counts instead).
    in.tell(data, connection);
    inBusy = true;
  }

  /** The source took the last bytes: whether the connection should read the socket again. */
  boolean onSourceAck() {
    inBusy = false;
    if (peerClosed) {
      in.tell(LeanSignal.Bridge.SOURCE_DONE, connection);
      return false;
    }
    return true;
  }

  /** The sink starts. */
  void onSinkInit(ActorRef sink) {
    sink.tell(LeanSignal.Bridge.SINK_ACK, connection);
  }

  /** Bytes of an answer, from the sink: written, acknowledged to the connection's actor. */
  void onAnswer(ByteString bytes, ActorRef sink) {
    out = sink;
    lastActivity = System.nanoTime();
    writing = true;
    tcp.tell(TcpMessage.write(bytes, LeanSignal.WriteAck.INSTANCE), connection);
  }

  /** An answer's bytes are written: the sink may give more. */
  void onWritten() {
    if (out != null) {
      writing = false;
      out.tell(LeanSignal.Bridge.SINK_ACK, connection);
    }
  }

  /**
   * The client sent all its requests (it half-closed): Pekko HTTP answers them, then the sink
   * completes.
   */
  void clientClosed() {
    peerClosed = true;
    if (!inBusy) {
      in.tell(LeanSignal.Bridge.SOURCE_DONE, connection);
    }
  }

  /** The server stops: the requests received are answered, then the connection closes. */
  void terminate() {
    if (!peerClosed) {
      clientClosed();
    }
  }

  /**
   * When to look again whether the connection is idle, or null when it has been idle for {@code
   * idleTimeout} with nothing being written: then it ends. Idle is the time since an answer's bytes
   * went out or since {@code lastProgress}, the last completed request head, body or answer
   * ({@link io.github.lobby.http.internal.guard.HeadWatch#lastProgress()}): a byte of an unfinished
   * head or body does not reset it.
   */
  Duration nextIdleCheck(Duration idleTimeout, long lastProgress) {
    long last = lastProgress - lastActivity > 0 ? lastProgress : lastActivity;
    long idle = System.nanoTime() - last;
    if (idle >= idleTimeout.toNanos() && !writing) {
      return null;
    }
    return idleTimeout.minusNanos(Math.max(0, idle)).plusMillis(10);
  }
}
