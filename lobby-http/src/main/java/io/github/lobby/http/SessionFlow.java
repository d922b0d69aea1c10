package io.github.lobby.http;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.EngineFrames.InPart;
import io.github.lobby.http.EngineFrames.OutFrame;
import java.net.InetAddress;
import java.util.Optional;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;
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

/**
 * The frame-level path: one WebSocket connection under Pekko HTTP's WebSocket engine, for {@link
 * LobbyRoutes} mounted in a server the application binds itself. The engine parses frame headers
 * and renders the frames this stage emits; everything else (the RFC 6455 rules, the close
 * handshake, the window, the queue) is the same {@link WsConnection} and {@link FrameDecoder} that
 * the lean path of {@link LobbyServer} uses. This stage is only the glue: a frame part in goes to
 * the decoder, a pull takes the next frame, signals from other threads come in through one async
 * callback.
 */
final class SessionFlow {

  private SessionFlow() {}

  /**
   * The per-connection settings, shared by every connection of a server.
   *
   * @param authenticator decides on every upgrade; empty when authentication is off
   */
  record Context(
      ActorRef<Lobby.Command> lobby,
      Scheduler scheduler,
      LobbySettings settings,
      HttpSettings http,
      Admission admission,
      LobbyMetrics metrics,
      Optional<Authenticator> authenticator) {}

  /** Creates the frame handler of one connection. */
  static Flow<InPart, OutFrame, NotUsed> create(
      Context context,
      RoomId room,
      Mode mode,
      Optional<InetAddress> address,
      Optional<Authenticated> auth,
      Optional<Recovery> recovery,
      Optional<Resume> resume) {
    return Flow.fromGraph(
        new ConnectionStage(context, room, mode, address, auth, recovery, resume));
  }

  private static final class ConnectionStage extends GraphStage<FlowShape<InPart, OutFrame>> {
    private final Inlet<InPart> in = Inlet.create("SessionFlow.in");
    private final Outlet<OutFrame> out = Outlet.create("SessionFlow.out");
    private final FlowShape<InPart, OutFrame> shape = FlowShape.of(in, out);
    private final Context context;
    private final RoomId room;
    private final Mode mode;
    private final Optional<InetAddress> address;
    private final Optional<Authenticated> auth;
    private final Optional<Recovery> recovery;
    private final Optional<Resume> resume;

    ConnectionStage(
        Context context,
        RoomId room,
        Mode mode,
        Optional<InetAddress> address,
        Optional<Authenticated> auth,
        Optional<Recovery> recovery,
        Optional<Resume> resume) {
      this.context = context;
      this.room = room;
      this.mode = mode;
      this.address = address;
      this.auth = auth;
      this.recovery = recovery;
      this.resume = resume;
    }

    @Override
    public FlowShape<InPart, OutFrame> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes attributes) {
      return new Logic();
    }

    private static final String CLOSE_TIMER = "close-timeout";
    private static final Object FINISH = new Object();

    private final class Logic extends TimerGraphStageLogic implements WsConnection.Io {
      private final AsyncCallback<Object> signals = createAsyncCallback(this::onSignal);
      private final WsConnection connection =
          new WsConnection(context, room, mode, address, auth, recovery, resume, this);
      private String failure;

      Logic() {
        super(shape);
        setHandler(
            in,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                InPart part = grab(in);
                if (part.start()) {
                  connection
                      .decoder()
                      .frameStart(
                          part.opcode(),
                          part.fin(),
                          part.rsv(),
                          part.masked(),
                          part.mask(),
                          part.length(),
                          part.data(),
                          part.last());
                } else {
                  connection.decoder().frameData(part.data(), part.last());
                }
                inputReady();
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
                outputReady();
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                completeStage();
              }
            });
      }

      @Override
      public void preStart() {
        connection.start();
      }

      @Override
      public void postStop() {
        connection.stopped(failure);
      }

      @Override
      public void onTimer(Object key) {
        connection.closeTimedOut();
      }

      private void onSignal(Object signal) {
        if (signal == FINISH) {
          completeStage();
        } else if (signal == Outbox.WAKE) {
          connection.outbox().rearm();
          outputReady();
        } else {
          connection.onSignal(signal);
        }
      }

      // ---- WsConnection.Io ----

      @Override
      public void signal(Object signal) {
        signals.invoke(signal);
      }

      @Override
      public void outputReady() {
        if (isAvailable(out) && !isClosed(out)) {
          OutFrame frame = connection.nextFrame();
          if (frame != null) {
            push(out, frame);
          }
        }
      }

      @Override
      public void inputReady() {
        if (connection.wantsRead() && !isClosed(in) && !hasBeenPulled(in)) {
          pull(in);
        }
      }

      @Override
      public void startCloseTimer() {
        scheduleOnce(CLOSE_TIMER, context.http().closeTimeout());
      }

      @Override
      public void finish() {
        // Through the callback, so that a Close frame being handed out is pushed first.
        signals.invoke(FINISH);
      }
    }
  }
}
