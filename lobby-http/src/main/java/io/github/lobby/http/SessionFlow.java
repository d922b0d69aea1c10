package io.github.lobby.http;

import io.github.lobby.core.CloseCodes;
import io.github.lobby.core.Frame;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.http.EngineFrames.InPart;
import io.github.lobby.http.EngineFrames.OutFrame;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Binds one WebSocket connection to one {@link Session} actor: a single stream stage that speaks
 * RFC 6455 on the frames of {@link EngineFrames} and implements {@link Transport} for the actors.
 *
 * <p>Inbound, it reassembles fragmented messages under {@code max-message-bytes} (a larger one
 * closes with 1009, detected from the frame header before anything is buffered), checks text
 * for UTF-8 (1007), enforces masking, reserved bits, opcodes and control-frame rules (1002),
 * answers Pings, and hands complete messages, Pongs and other signs of life to the session. At
 * most {@code inbound-window} messages wait for the session; beyond that the stage stops reading
 * the socket, so a flooding client is held back by TCP.
 *
 * <p>Outbound, rooms on any thread offer frames into a bounded lock-free queue of {@code
 * outbound-buffer} frames; the offer never blocks and answers {@code FULL} when the client lags,
 * which makes its session close it with 1008. The stage is woken once per burst, not per frame.
 * Control frames (Pong, Ping, Close) go ahead of queued data. Closing sends one Close frame, drops
 * what is still queued, waits up to {@code close-timeout} for the client's Close, then ends.
 *
 * <p>The session actor is spawned by the {@link Lobby} when the stage starts, so a connection
 * whose upgrade is never run leaves nothing behind; when the stage stops, the session hears of it.
 */
final class SessionFlow {

  private SessionFlow() {}

  /** The per-connection settings, shared by every connection of a server. */
  record Context(
      ActorRef<Lobby.Command> lobby,
      Scheduler scheduler,
      LobbySettings settings,
      HttpSettings http,
      Admission admission) {}

  /** Creates the frame handler of one connection. */
  static Flow<InPart, OutFrame, NotUsed> create(
      Context context, RoomId room, Mode mode, Optional<InetAddress> address) {
    return Flow.fromGraph(new ConnectionStage(context, room, mode, address));
  }

  private static final class ConnectionStage extends GraphStage<FlowShape<InPart, OutFrame>> {
    private final Inlet<InPart> in = Inlet.create("SessionFlow.in");
    private final Outlet<OutFrame> out = Outlet.create("SessionFlow.out");
    private final FlowShape<InPart, OutFrame> shape = FlowShape.of(in, out);
    private final Context context;
    private final RoomId room;
    private final Mode mode;
    private final Optional<InetAddress> address;

    ConnectionStage(Context context, RoomId room, Mode mode, Optional<InetAddress> address) {
      this.context = context;
      this.room = room;
      this.mode = mode;
      this.address = address;
    }

    @Override
    public FlowShape<InPart, OutFrame> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new Logic();
    }

    /** Commands from other threads that the stage runs on its own. */
    private sealed interface Control {}

    private enum Ping implements Control {
      INSTANCE
    }

    private enum Ack implements Control {
      INSTANCE
    }

    private record CloseWith(int code, String reason) implements Control {}

    private static final Object STOPPED = new Object();
    private static final String CLOSE_TIMER = "close-timeout";
    private static final OutFrame EMPTY_PING = new OutFrame(EngineFrames.PING, ByteString.emptyByteString());

    private final class Logic extends TimerGraphStageLogic implements Transport {
      private final SessionId id = SessionId.random();
      private final int capacity = context.settings().outboundBuffer();
      private final int maxMessageBytes = context.settings().maxMessageBytes();
      private final int window = context.settings().inboundWindow();

      // Written by any thread: the outbound data queue.
      private final ConcurrentLinkedQueue<OutFrame> queue = new ConcurrentLinkedQueue<>();
      private final AtomicInteger queued = new AtomicInteger();
      private final AtomicBoolean wakeScheduled = new AtomicBoolean();
      private volatile boolean closedForOffers;
      /** The session actor once spawned, or STOPPED once this stage has stopped. */
      private final AtomicReference<Object> handoff = new AtomicReference<>();

      private final AsyncCallback<NotUsed> wake = createAsyncCallback(this::onWake);
      private final AsyncCallback<Control> control = createAsyncCallback(this::onControl);
      private final AsyncCallback<ActorRef<Session.Command>> ready = createAsyncCallback(this::onReady);
      private final AsyncCallback<Throwable> connectFailed = createAsyncCallback(this::onConnectFailed);

      // Stage-thread state below.
      private final ArrayDeque<OutFrame> controlFrames = new ArrayDeque<>();
      private ActorRef<Session.Command> session;
      private int inFlight;
      private boolean closeSent;
      private OutFrame closeFrame;
      private boolean peerClosed;
      private String failure;
      private boolean admitted;

      // The message being reassembled: opcode (-1: none), bytes so far.
      private int messageOpcode = -1;
      private ByteStringBuilder message;
      private int messageBytes;
      // The frame being read: control or data, its mask, FIN, and its parts so far.
      private boolean frameIsControl;
      private int frameOpcode;
      private int frameMask;
      private boolean frameFin;
      private ByteString frameData = ByteString.emptyByteString();

      Logic() {
        super(shape);
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                onPart(grab(in));
                maybePull();
              }

              @Override
              public void onUpstreamFinish() {
                completeStage();
              }

              @Override
              public void onUpstreamFailure(Throwable ex) {
                failure = "connection failed";
                completeStage();
              }
            });
        setHandler(
            out,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                tryPush();
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                completeStage();
              }
            });
      }

      @Override
      public void preStart() {
        Optional<Admission.Refusal> refused = context.admission().admit(address);
        if (refused.isPresent()) {
          // Upgrades that all passed the route's check at once: the limit holds here.
          failure = "refused at a connection limit";
          sendClose(
              CloseCodes.TRY_AGAIN_LATER,
              refused.get() == Admission.Refusal.SERVER_FULL
                  ? "server full"
                  : "too many connections from this address");
          return;
        }
        admitted = true;
        AskPattern.<Lobby.Command, ActorRef<Session.Command>>ask(
                context.lobby(),
                replyTo -> new Lobby.Connect(id, room, mode, this, replyTo),
                context.http().askTimeout(),
                context.scheduler())
            .whenComplete(
                (ref, error) -> {
                  if (error != null) {
                    connectFailed.invoke(error);
                  } else if (handoff.compareAndSet(null, ref)) {
                    ready.invoke(ref);
                  } else {
                    ref.tell(Session.TransportClosed.INSTANCE); // the connection ended first
                  }
                });
      }

      @Override
      public void postStop() {
        closedForOffers = true;
        queue.clear();
        if (admitted) {
          context.admission().release(address);
        }
        Object previous = handoff.getAndSet(STOPPED);
        if (previous instanceof ActorRef<?> ref) {
          @SuppressWarnings("unchecked")
          ActorRef<Session.Command> s = (ActorRef<Session.Command>) ref;
          s.tell(failure == null ? Session.TransportClosed.INSTANCE : new Session.TransportFailed(failure));
        }
      }

      @Override
      public void onTimer(Object key) {
        completeStage(); // the client did not answer our Close in time
      }

      private void onReady(ActorRef<Session.Command> ref) {
        session = ref;
        maybePull();
      }

      private void onConnectFailed(Throwable error) {
        failure = "lobby did not answer";
        sendClose(CloseCodes.INTERNAL_ERROR, "server busy");
      }

      // ---- inbound ----

      private void maybePull() {
        // Once closing, keep reading (data is dropped) so that the client's Close is seen and the
        // socket is not closed with unread bytes, which would reset it under our Close frame.
        boolean reading = closeSent || (session != null && inFlight < window);
        if (reading && !isClosed(in) && !hasBeenPulled(in)) {
          pull(in);
        }
      }

      private void onPart(InPart part) {
        if (part.start()) {
          if (!startFrame(part)) {
            return;
          }
          frameData = part.data();
        } else {
          frameData = frameData.concat(part.data());
        }
        if (part.last()) {
          ByteString payload = unmask(frameData, frameMask);
          frameData = ByteString.emptyByteString();
          if (frameIsControl) {
            onControlFrame(frameOpcode, payload);
          } else {
            onDataFrame(payload);
          }
        }
      }

      /** Checks a frame header; closes the connection and returns false when it is not allowed. */
      private boolean startFrame(InPart part) {
        if (part.rsv()) {
          return protocolError(CloseCodes.PROTOCOL_ERROR, "reserved bits set");
        }
        if (!part.masked()) {
          return protocolError(CloseCodes.PROTOCOL_ERROR, "client frames must be masked");
        }
        int op = part.opcode();
        frameMask = part.mask();
        frameFin = part.fin();
        frameOpcode = op;
        if (op == EngineFrames.CLOSE || op == EngineFrames.PING || op == EngineFrames.PONG) {
          if (!part.fin() || part.length() > 125) {
            return protocolError(CloseCodes.PROTOCOL_ERROR, "control frames must be whole and at most 125 bytes");
          }
          frameIsControl = true;
          return true;
        }
        frameIsControl = false;
        if (op == EngineFrames.CONTINUATION) {
          if (messageOpcode < 0) {
            return protocolError(CloseCodes.PROTOCOL_ERROR, "continuation frame without a message");
          }
        } else if (op == EngineFrames.TEXT || op == EngineFrames.BINARY) {
          if (messageOpcode >= 0) {
            return protocolError(CloseCodes.PROTOCOL_ERROR, "new message before the previous one ended");
          }
          messageOpcode = op;
          message = new ByteStringBuilder();
          messageBytes = 0;
        } else {
          return protocolError(CloseCodes.PROTOCOL_ERROR, "unknown opcode");
        }
        if (messageBytes + part.length() > maxMessageBytes) {
          return protocolError(CloseCodes.TOO_BIG, "message too big");
        }
        return true;
      }

      private void onDataFrame(ByteString payload) {
        message.append(payload);
        messageBytes += payload.size();
        if (!frameFin) {
          return;
        }
        int op = messageOpcode;
        ByteString whole = message.result();
        messageOpcode = -1;
        message = null;
        if (closeSent) {
          return; // nothing more is delivered once closing
        }
        if (op == EngineFrames.TEXT) {
          String text = decodeUtf8(whole);
          if (text == null) {
            protocolError(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8");
            return;
          }
          toSession(new Session.ClientText(text));
        } else {
          toSession(new Session.ClientBinary(whole));
        }
      }

      private void onControlFrame(int op, ByteString payload) {
        if (op == EngineFrames.PING) {
          if (!closeSent) {
            controlFrames.add(new OutFrame(EngineFrames.PONG, payload));
            tryPush();
            toSession(Session.ClientActivity.INSTANCE);
          }
        } else if (op == EngineFrames.PONG) {
          if (!closeSent) {
            toSession(Session.ClientPong.INSTANCE);
          }
        } else {
          peerClosed = true;
          if (closeSent) {
            if (closeFrame == null) {
              completeStage(); // our Close went out already: the handshake is complete
            }
          } else {
            sendClose(echoCode(payload), "");
          }
        }
      }

      /** The code to answer a client's Close with (RFC 6455 section 5.5.1). */
      private int echoCode(ByteString payload) {
        if (payload.isEmpty()) {
          return CloseCodes.NORMAL;
        }
        if (payload.size() == 1) {
          return CloseCodes.PROTOCOL_ERROR;
        }
        int code = ((payload.apply(0) & 0xff) << 8) | (payload.apply(1) & 0xff);
        boolean valid =
            (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1011) || (code >= 3000 && code <= 4999);
        if (!valid || decodeUtf8(payload.drop(2)) == null) {
          return CloseCodes.PROTOCOL_ERROR;
        }
        return code;
      }

      private void toSession(Session.Command command) {
        inFlight++;
        session.tell(command);
      }

      private boolean protocolError(int code, String reason) {
        failure = reason;
        sendClose(code, reason);
        return false;
      }

      // ---- outbound ----

      private void onWake(NotUsed ignored) {
        wakeScheduled.set(false);
        tryPush();
      }

      private void onControl(Control command) {
        if (command == Ack.INSTANCE) {
          inFlight--;
          maybePull();
        } else if (command == Ping.INSTANCE) {
          if (!closeSent) {
            controlFrames.add(EMPTY_PING);
            tryPush();
          }
        } else if (command instanceof CloseWith close) {
          sendClose(close.code(), close.reason());
        }
      }

      private void sendClose(int code, String reason) {
        if (closeSent) {
          return;
        }
        closeSent = true;
        closedForOffers = true;
        queue.clear();
        controlFrames.clear();
        closeFrame = new OutFrame(EngineFrames.CLOSE, closePayload(code, reason));
        controlFrames.add(closeFrame);
        scheduleOnce(CLOSE_TIMER, context.http().closeTimeout());
        tryPush();
        maybePull();
      }

      private void tryPush() {
        if (!isAvailable(out)) {
          return;
        }
        OutFrame frame = controlFrames.poll();
        if (frame == null && !closeSent) {
          frame = queue.poll();
          if (frame != null) {
            queued.decrementAndGet();
          }
        }
        if (frame == null) {
          return;
        }
        push(out, frame);
        if (frame == closeFrame) {
          closeFrame = null;
          if (peerClosed) {
            completeStage();
          }
        }
      }

      // ---- Transport, called by actors on any thread ----

      @Override
      public Offer sendText(Frame frame) {
        return offer(new OutFrame(EngineFrames.TEXT, frame.utf8()));
      }

      @Override
      public Offer sendBinary(ByteString data) {
        return offer(new OutFrame(EngineFrames.BINARY, data));
      }

      private Offer offer(OutFrame frame) {
        if (closedForOffers) {
          return Offer.CLOSED;
        }
        if (queued.incrementAndGet() > capacity) {
          queued.decrementAndGet();
          return Offer.FULL;
        }
        queue.add(frame);
        if (!wakeScheduled.getAndSet(true)) {
          wake.invoke(NotUsed.getInstance());
        }
        return Offer.ACCEPTED;
      }

      @Override
      public void ping() {
        control.invoke(Ping.INSTANCE);
      }

      @Override
      public void close(int code, String reason) {
        closedForOffers = true;
        control.invoke(new CloseWith(code, reason));
      }

      @Override
      public void acknowledge() {
        control.invoke(Ack.INSTANCE);
      }
    }
  }

  /** Removes the client's masking (RFC 6455 section 5.3). */
  static ByteString unmask(ByteString data, int mask) {
    byte[] bytes = data.toArray();
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] ^= (byte) (mask >>> (24 - 8 * (i & 3)));
    }
    return ByteString.fromArrayUnsafe(bytes);
  }

  /** Decodes strict UTF-8, returning null when the bytes are not valid UTF-8. */
  static String decodeUtf8(ByteString bytes) {
    ByteBuffer buffer = bytes.asByteBuffer();
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(buffer)
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }

  /** The payload of a Close frame: the code, then the reason cut to fit 123 bytes of UTF-8. */
  static ByteString closePayload(int code, String reason) {
    byte[] text = reason.getBytes(StandardCharsets.UTF_8);
    int length = Math.min(text.length, 123);
    byte[] payload = new byte[2 + length];
    payload[0] = (byte) (code >> 8);
    payload[1] = (byte) code;
    System.arraycopy(text, 0, payload, 2, length);
    return ByteString.fromArrayUnsafe(payload);
  }
}
