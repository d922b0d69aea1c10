package io.github.lobby.http.internal.lean;

import io.github.lobby.http.internal.ws.FrameEncoder;
import io.github.lobby.http.internal.ws.Outbox;
import io.github.lobby.http.internal.ws.WsConnection;
import io.github.lobby.http.internal.ws.WsSignal;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorCell;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;
import scala.runtime.AbstractFunction2;
import scala.runtime.BoxedUnit;

/**
 * The writer of one lean WebSocket connection: who writes to the socket, and when. One write at a
 * time, acknowledged before the next; whoever holds the write token (the {@link Outbox}'s wake-up
 * flag) is the only one writing.
 *
 * <p>An offer on a room's thread that finds the socket idle takes the token and writes its frame
 * itself (the outbox's direct writer); otherwise frames queue. Writes are acknowledged to {@code
 * acks}, a function that runs on the socket actor's own thread when the write is done: it writes
 * what queued meanwhile as one buffer, or gives the token back, without a message to the
 * connection's actor. At moderate rates a delivery is then one message to the socket actor and one
 * system call, and a client that does not read holds at most one write and its bounded queue.
 *
 * <p>The connection's actor takes the token for its own frames (101, Pong, Ping, Close): when a
 * write is in flight it asks for the token ({@code ownerWants}) and gets it with a {@link
 * WsSignal#WAKE}, then {@link #pump()}s. It keeps the token for good once the WebSocket is done.
 *
 * <p>The acknowledgement target is Pekko's {@code FunctionRef} (via {@code
 * ActorCell.addFunctionRef}), the same mechanism as Pekko Streams' stage actors; it is internal
 * API, pinned with the Pekko version in the parent pom, and the real-socket tests cover every write
 * path through it. The function runs on another thread than the connection's actor: what it reads
 * of this class is volatile or owned by the token.
 */
final class SocketWriter {

  private final ActorRef tcp;
  private final ActorRef connection;
  private final WsConnection ws;
  private final Outbox outbox;

  /** Where writes are acknowledged: a function run on the socket actor's thread. */
  private final ActorRef acks;

  /** Whether the connection's actor wants the token back at the next acknowledgement. */
  private volatile boolean ownerWants;

  /** Whether the connection is closing: no more WebSocket writes from the acknowledgements. */
  private volatile boolean stopped;

  /**
   * Registers the acknowledgement function with the connection's actor (it goes away when the
   * actor stops) and lets offers write straight to an idle socket.
   */
  SocketWriter(AbstractActor.ActorContext context, ActorRef tcp, WsConnection ws) {
    this.tcp = tcp;
    this.connection = context.getSelf();
    this.ws = ws;
    this.outbox = ws.outbox();
    this.acks =
        ((ActorCell) context)
            .addFunctionRef(
                new AbstractFunction2<ActorRef, Object, BoxedUnit>() {
                  @Override
                  public BoxedUnit apply(ActorRef sender, Object message) {
                    if (message == LeanSignal.WriteAck.INSTANCE) {
                      onWritten();
                    } else {
                      // A failed write: the connection's actor aborts.
                      connection.tell(message, ActorRef.noSender());
                    }
                    return BoxedUnit.UNIT;
                  }
                },
                "w");
    ActorRef socket = tcp;
    ActorRef acknowledged = acks;
    outbox.writeDirectly(
        frame ->
            socket.tell(
                TcpMessage.write(FrameEncoder.frame(frame), LeanSignal.WriteAck.INSTANCE),
                acknowledged));
  }

  /**
   * Writes the 101 answer with the token held until it is written: frames that rooms offer
   * meanwhile queue behind it, and the connection's actor drains them after it.
   */
  void start(ByteString switchingProtocols) {
    outbox.acquire();
    ownerWants = true;
    tcp.tell(TcpMessage.write(switchingProtocols, LeanSignal.WriteAck.INSTANCE), acks);
  }

  /**
   * Takes the token for the connection's actor: true when it has it now (then {@link #pump()});
   * otherwise it comes with a {@link WsSignal#WAKE} when the write in flight is acknowledged.
   */
  boolean takeToken() {
    if (outbox.acquire()) {
      return true;
    }
    // A write is in flight (or a WAKE on its way): ask for the token, then look again in case it
    // was given back before the request was seen.
    ownerWants = true;
    return outbox.acquire();
  }

  /** Writes the connection's frames and everything queued as one buffer, with the token held. */
  void pump() {
    ownerWants = false;
    while (true) {
      ByteStringBuilder out = stopped ? null : FrameEncoder.coalesce(null, ws::nextFrame);
      if (out != null) {
        ownerWants = true; // come back to the actor after this write: more of its own may follow
        tcp.tell(TcpMessage.write(out.result(), LeanSignal.WriteAck.INSTANCE), acks);
        return;
      }
      if (ws.done() || stopped || !outbox.release()) {
        return;
      }
    }
  }

  /** The connection is closing: acknowledgements write nothing more. */
  void stop() {
    stopped = true;
  }

  /** Runs on the socket actor's thread when a WebSocket write is done; holds the token. */
  private void onWritten() {
    if (stopped) {
      return;
    }
    if (ownerWants) {
      connection.tell(WsSignal.WAKE, ActorRef.noSender()); // the token goes to the actor
      return;
    }
    outbox.sampleDepth();
    while (true) {
      ByteStringBuilder out = FrameEncoder.coalesce(null, outbox::poll);
      if (out != null) {
        tcp.tell(TcpMessage.write(out.result(), LeanSignal.WriteAck.INSTANCE), acks);
        return;
      }
      if (!outbox.release()) {
        // Given back; the actor may have asked for it meanwhile.
        if (ownerWants && outbox.acquire()) {
          connection.tell(WsSignal.WAKE, ActorRef.noSender());
        }
        return;
      }
    }
  }
}
