package io.github.lobby.http.internal.engine;

import io.github.lobby.http.internal.engine.EngineFrames.InPart;
import io.github.lobby.http.internal.ws.AcceptedUpgrade;
import io.github.lobby.http.internal.ws.ConnectionContext;
import io.github.lobby.http.internal.ws.WsConnection;
import io.github.lobby.http.internal.ws.WsFrame;
import io.github.lobby.http.internal.ws.WsSignal;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
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
 * One WebSocket connection on the engine path: under Pekko HTTP's WebSocket engine, for {@code
 * LobbyRoutes} mounted in a server the application binds itself. The engine parses frame headers
 * and renders the frames this stage emits; everything else (the RFC 6455 rules, the close
 * handshake, the window, the queue) is the same {@link WsConnection} that the lean path of {@code
 * LobbyServer} uses. This stage is only the glue: a frame part in goes to the decoder, a pull takes
 * the next frame, signals from other threads come in through one async callback.
 */
public final class EngineConnection extends GraphStage<FlowShape<InPart, WsFrame>> {

  private static final String CLOSE_TIMER = "close-timeout";

  private final Inlet<InPart> in = Inlet.create("EngineConnection.in");
  private final Outlet<WsFrame> out = Outlet.create("EngineConnection.out");
  private final FlowShape<InPart, WsFrame> shape = FlowShape.of(in, out);
  private final ConnectionContext context;
  private final AcceptedUpgrade upgrade;

  private EngineConnection(ConnectionContext context, AcceptedUpgrade upgrade) {
    this.context = context;
    this.upgrade = upgrade;
  }

  /** The frame handler of one connection, for {@link EngineFrames#accept}. */
  public static Flow<InPart, WsFrame, NotUsed> flow(
      ConnectionContext context, AcceptedUpgrade upgrade) {
    return Flow.fromGraph(new EngineConnection(context, upgrade));
  }

  @Override
  public FlowShape<InPart, WsFrame> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new Logic();
  }

  private final class Logic extends TimerGraphStageLogic implements WsConnection.Io {
    private final AsyncCallback<WsSignal> signals = createAsyncCallback(this::onSignal);

    /** Ends the stage after what was handed out is pushed (see {@link #finish()}). */
    private final AsyncCallback<Done> finishing = createAsyncCallback(done -> completeStage());

    private final WsConnection connection = new WsConnection(context, upgrade, this);
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

    private void onSignal(WsSignal signal) {
      if (signal == WsSignal.WAKE) {
        connection.outbox().rearm();
        outputReady();
      } else {
        connection.onSignal(signal);
      }
    }

    // ---- WsConnection.Io ----

    @Override
    public void signal(WsSignal signal) {
      signals.invoke(signal);
    }

    @Override
    public void outputReady() {
      if (isAvailable(out) && !isClosed(out)) {
        WsFrame frame = connection.nextFrame();
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
      // Through a callback, so that a Close frame being handed out is pushed first.
      finishing.invoke(Done.getInstance());
    }
  }
}
