package io.github.lobby.http.internal.ws;

import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Session;
import io.github.lobby.http.internal.deflate.MessageInflater;
import io.github.lobby.http.internal.deflate.PerMessageDeflate;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * One WebSocket connection between a client and its {@link Session}, whatever carries its bytes:
 * the close handshake, the inbound window, control replies and the order of what goes out. The RFC
 * 6455 rules for input are the {@link FrameDecoder}'s, the queue is the {@link Outbox}, the link
 * to the session the {@link SessionLink}'s; the glue of each path ({@code
 * internal.lean.LeanConnection} on Pekko IO, {@code internal.engine.EngineConnection} under Pekko
 * HTTP) moves bytes and calls this class on its one thread.
 *
 * <p>Inbound, at most {@code inbound-window} messages wait for the session (unacknowledged); at
 * the window the decoder stops before the next frame and keeps the rest of the read undecoded,
 * and {@link #wantsRead()} is false, so the glue stops reading the socket and a flooding client is
 * held back by TCP. What one connection holds inbound is thus the window's messages, one message
 * being reassembled and one read's bytes. A Ping is answered with a Pong carrying its payload;
 * only the latest unanswered Ping is kept, so a Ping flood from a client that does not read holds
 * one payload, not a queue.
 *
 * <p>Outbound, {@link #nextFrame()} hands out a Pong, then a Ping, then queued data, then the Close
 * frame; nothing after it. How the connection ends:
 *
 * <ul>
 *   <li>the session closes it (timeout, shutdown, rate limit): what was queued goes out, then the
 *       Close; the client's Close is awaited for {@code close-timeout};
 *   <li>a slow consumer: the queue is dropped, the Close goes out at once;
 *   <li>the client's Close: answered with its code, and the connection ends once ours is out;
 *   <li>a protocol violation in a data frame: the session is told after the messages before it,
 *       lets its room handle them (their echoes still go out), then closes with the violation's
 *       code; the connection ends right after the Close, without waiting for the client's;
 *   <li>a violation in the client's own Close frame: our Close goes out and the connection ends.
 * </ul>
 *
 * <p>The session actor is spawned by the {@link Lobby} when the connection starts, so a connection
 * that never starts leaves nothing behind; when it stops, the session hears of it.
 */
public final class WsConnection implements FrameDecoder.Handler {

  /** What a path provides; called on the connection's thread unless said otherwise. */
  public interface Io extends Outbox.Owner {
    /** Frames are available from {@link #nextFrame()}. */
    void outputReady();

    /** {@link #wantsRead()} may have become true. */
    void inputReady();

    /** Calls {@link #closeTimedOut()} after {@code close-timeout}, unless the connection ends. */
    void startCloseTimer();

    /** The WebSocket is done: end the connection once what was handed out is written. */
    void finish();
  }

  private final ConnectionContext context;
  private final Io io;
  private final Outbox outbox;
  private final FrameDecoder decoder;
  private final SessionLink link;
  private final int window;

  private ActorRef<Session.Command> session;

  /** Bytes that arrived before the session was ready (frames pipelined after the upgrade). */
  private ByteString early = ByteString.emptyByteString();

  /** Bytes read but not decoded: the inbound window was full (see {@link #paused()}). */
  private ByteString undecoded = ByteString.emptyByteString();

  /** Whether the decoder is running, so that a close it causes does not feed it again. */
  private boolean decoding;

  private int inFlight;
  /**
   * Why the connection is ended on our side: a protocol violation, or a refusal before it had a
   * session; null otherwise.
   */
  private String failure;

  private ByteString pong;
  private boolean pingWanted;
  private WsFrame closeFrame;
  private boolean closeRequested;
  private boolean closeSent;

  /** Whether the connection ends as soon as our Close is out (the client closed, or failed). */
  private boolean endAfterClose;

  private boolean done;

  /** Whether the client's valid Close frame arrived. */
  private boolean clientClosed;

  /**
   * Whether the client is dropped as a slow consumer: it is not reading, so its Close will not
   * come either, and reading on until {@code close-timeout} would only let it push bytes at us at
   * full speed, unthrottled. Nothing more is read; the connection ends when our Close is out, or is
   * cut at the timeout.
   */
  private boolean abandoned;

  /** The code and reason (a fixed word, for the metrics) of the Close we sent; -1 before. */
  private int closeCode = -1;
  private String closeWhy = "lost";
  private boolean counted;

  /**
   * @param context what the connections of the server share
   * @param upgrade what the client's upgrade asked for
   * @param io the path's glue
   */
  public WsConnection(ConnectionContext context, AcceptedUpgrade upgrade, Io io) {
    this.context = context;
    this.io = io;
    PerMessageDeflate.Agreement deflate = upgrade.deflate().orElse(null);
    this.outbox =
        new Outbox(
            context.settings().outboundBuffer(),
            context.settings().outboundBufferBytes(),
            io,
            context.metrics(),
            deflate == null ? null : context.compression());
    this.decoder =
        new FrameDecoder(
            context.settings().maxMessageBytes(),
            deflate == null
                ? null
                : new MessageInflater(context.compression(), !deflate.clientNoContextTakeover()),
            this);
    this.link = new SessionLink(context, upgrade);
    this.window = context.settings().inboundWindow();
  }

  /** The decoder, for a path whose frames were parsed elsewhere. */
  public FrameDecoder decoder() {
    return decoder;
  }

  /**
   * The glue already took this connection's place under the connection limits (the lean path does,
   * before it authenticates): {@link #start} takes none, and the place is given back as usual when
   * the connection stops.
   */
  public void alreadyAdmitted() {
    link.alreadyAdmitted();
  }

  /** Takes a place under the connection limits and asks the Lobby for a session. */
  public void start() {
    start(null);
  }

  /**
   * Like {@link #start()}; with {@code answerTo}, the Lobby's answer goes there, and the glue hands
   * it to {@link #sessionReady} on its thread (no ask: no temporary actor, no future, no timer). If
   * the connection stops first, {@link #stopped} tells the Lobby instead.
   */
  public void start(ActorRef<ActorRef<Session.Command>> answerTo) {
    context.metrics().connectionOpened();
    Optional<Admission.Refusal> refused = link.admit();
    if (refused.isPresent()) {
      // Upgrades that all passed the check at once: the limit holds here.
      failure = "refused at a connection limit";
      endAfterClose = true;
      requestClose(
          CloseCodes.TRY_AGAIN_LATER,
          refused.get() == Admission.Refusal.SERVER_FULL
              ? "server full"
              : "too many connections from this address",
          true);
      return;
    }
    link.connect(outbox, io, answerTo);
  }

  /** The Lobby's answer to {@link #start(ActorRef)}, on the connection's thread. */
  public void sessionReady(ActorRef<Session.Command> ref) {
    if (link.handOver(ref)) {
      onSignal(new WsSignal.SessionReady(ref));
    }
  }

  /**
   * The connection has ended (the socket is closed): tells the session how, frees the place.
   *
   * @param ioFailure the I/O error that ended it, or null for an end of stream or a close
   */
  public void stopped(String ioFailure) {
    if (!counted) {
      counted = true;
      context.metrics().connectionClosed(closeCode, closeWhy);
    }
    outbox.close(true);
    decoder.release();
    Session.Command how = ending(ioFailure);
    ActorRef<Session.Command> told = link.stopped(how);
    if (told != null) {
      told.tell(how);
    }
  }

  /**
   * How the connection ended, for its session: the client closed it (its valid Close frame), it
   * broke the protocol, or the connection was lost without a close handshake (an end of stream
   * without a Close, an I/O error), which a session with {@code lobby.resumption.grace} survives.
   */
  private Session.Command ending(String ioFailure) {
    if (clientClosed) {
      return Session.TransportClosed.INSTANCE;
    }
    if (failure != null) {
      return new Session.TransportFailed(failure);
    }
    return new Session.TransportLost(ioFailure);
  }

  /** Whether the socket may be read: the session keeps up, or the connection is closing. */
  public boolean wantsRead() {
    // Once closing, keep reading (data is dropped) so that the client's Close is seen and the
    // socket is not closed with unread bytes, which would reset it under our Close frame.
    return !done
        && !abandoned
        && undecoded.isEmpty()
        && (closeRequested || decoder.ended() || (session != null && inFlight < window));
  }

  @Override
  public boolean paused() {
    return session != null && !closeRequested && inFlight >= window;
  }

  /** Decodes raw bytes as far as the inbound window allows, keeping the rest for later. */
  private void decode(ByteString bytes) {
    decoding = true;
    try {
      undecoded = decoder.feed(bytes);
    } finally {
      decoding = false;
    }
  }

  /** Decodes what the window held back, once it has room again (or the connection closes). */
  private void resumeDecoding() {
    if (!undecoded.isEmpty() && !decoding && !paused()) {
      decode(undecoded);
    }
  }

  /**
   * Whether, once done, the connection reads on (dropping the bytes) until the client's FIN: not
   * for a slow consumer, which gets until {@code close-timeout} to take our Close and is then cut.
   */
  public boolean drainsAfterClose() {
    return !abandoned;
  }

  /** Whether the WebSocket is done and the connection may end. */
  public boolean done() {
    return done;
  }

  /**
   * Whether the close handshake completed both ways: the client sends nothing more, so the socket
   * may be closed at once. Otherwise the glue half-closes and reads on until the client's FIN, so
   * that unread bytes do not reset the connection under our Close frame.
   */
  public boolean handshakeComplete() {
    return done && clientClosed;
  }

  /** Raw client bytes (the lean path). */
  public void onBytes(ByteString bytes) {
    if (session == null && !closeRequested) {
      early = early.concat(bytes);
      return;
    }
    decode(undecoded.isEmpty() ? bytes : undecoded.concat(bytes));
  }

  /**
   * A signal from {@link Outbox.Owner#signal}, on the connection's thread; {@link WsSignal#WAKE}
   * is the glue's own (it is about writing) and is ignored here.
   */
  public void onSignal(WsSignal signal) {
    if (signal == WsSignal.ACK) {
      inFlight--;
      resumeDecoding();
      io.inputReady();
    } else if (signal == WsSignal.PING) {
      if (!closeRequested) {
        pingWanted = true;
        io.outputReady();
      }
    } else if (signal instanceof WsSignal.CloseRequest close) {
      if (close.dropQueued()) {
        abandoned = true;
        endAfterClose = true;
      }
      requestClose(close.code(), close.reason(), close.dropQueued());
    } else if (signal instanceof WsSignal.SessionReady ready) {
      session = ready.session();
      if (!early.isEmpty()) {
        ByteString bytes = early;
        early = ByteString.emptyByteString();
        decode(bytes);
      }
      io.inputReady();
    } else if (signal instanceof WsSignal.ConnectFailed) {
      failure = "lobby did not answer";
      endAfterClose = true;
      requestClose(CloseCodes.INTERNAL_ERROR, "server busy", true);
    }
  }

  /** The client did not answer our Close within {@code close-timeout}. */
  public void closeTimedOut() {
    finish();
  }

  /**
   * The next frame to send, or null; the glue calls it until null whenever it can write. The data
   * queue's wake-up is the glue's to {@link Outbox#rearm()}.
   */
  public WsFrame nextFrame() {
    if (closeSent) {
      return null;
    }
    if (pong != null) {
      WsFrame frame = new WsFrame(WsFrame.PONG, pong);
      pong = null;
      return frame;
    }
    if (pingWanted) {
      pingWanted = false;
      return new WsFrame(WsFrame.PING, ByteString.emptyByteString());
    }
    WsFrame data = outbox.poll();
    if (data != null) {
      return data;
    }
    if (closeFrame != null) {
      WsFrame frame = closeFrame;
      closeFrame = null;
      closeSent = true;
      outbox.seal();
      if (endAfterClose) {
        finish();
      }
      return frame;
    }
    return null;
  }

  /** The session's transport: the queue rooms offer into, and its write token on the lean path. */
  public Outbox outbox() {
    return outbox;
  }

  // ---- FrameDecoder.Handler ----

  @Override
  public void onText(String text) {
    toSession(new Session.ClientText(text));
  }

  @Override
  public void onBinary(ByteString data) {
    toSession(new Session.ClientBinary(data));
  }

  @Override
  public void onPing(ByteString payload) {
    if (!closeRequested) {
      pong = payload; // answer the latest Ping only
      io.outputReady();
      toSession(Session.ClientActivity.INSTANCE);
    }
  }

  @Override
  public void onPong() {
    toSession(Session.ClientPong.INSTANCE);
  }

  @Override
  public void onClose(int code) {
    clientClosed = true;
    endAfterClose = true;
    if (closeSent) {
      finish(); // our Close went out already: the handshake is complete
    } else {
      requestClose(code == WsFrame.NO_STATUS ? CloseCodes.NORMAL : code, "", true);
    }
  }

  @Override
  public void onViolation(int code, String reason, boolean inCloseFrame) {
    failure = reason;
    endAfterClose = true;
    if (closeSent) {
      finish();
    } else if (!inCloseFrame && session != null && !closeRequested) {
      // Messages before the violation are with the session: it closes after its room has
      // handled them, so their echoes go out before the Close. The timer bounds the wait.
      session.tell(new Session.ClientFailed(code, reason));
      io.startCloseTimer();
    } else {
      requestClose(code, reason, false);
    }
  }

  private void toSession(Session.Command command) {
    if (closeRequested || session == null) {
      return; // nothing more is delivered once closing
    }
    inFlight++;
    session.tell(command);
  }

  private void requestClose(int code, String reason, boolean dropQueued) {
    if (closeRequested) {
      return;
    }
    closeRequested = true;
    closeCode = code;
    closeWhy = clientClosed ? "client" : why(code, reason);
    outbox.close(dropQueued);
    if (dropQueued) {
      pong = null;
      pingWanted = false;
    }
    closeFrame = new WsFrame(WsFrame.CLOSE, FrameEncoder.closePayload(code, reason));
    resumeDecoding(); // what the window held back is read on and dropped, up to the client's Close
    io.startCloseTimer();
    io.outputReady();
    io.inputReady();
  }

  /** A fixed word for the metrics from our own close reason (never client text). */
  private static String why(int code, String reason) {
    return switch (reason) {
      case "slow consumer" -> "slow_consumer";
      case "rate limit" -> "rate_limit";
      case "client timeout" -> "timeout";
      case "server shutting down" -> "shutdown";
      case "server full", "too many connections from this address" -> "refused";
      default ->
          code == CloseCodes.PROTOCOL_ERROR
                  || code == CloseCodes.INVALID_PAYLOAD
                  || code == CloseCodes.TOO_BIG
              ? "protocol_error"
              : "server";
    };
  }

  private void finish() {
    if (!done) {
      done = true;
      io.finish();
    }
  }
}
