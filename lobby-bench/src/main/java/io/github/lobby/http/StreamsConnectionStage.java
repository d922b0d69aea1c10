package io.github.lobby.http;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.SubscriptionWithCancelException;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.stage.AbstractGraphStageWithMaterializedValue;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.AsyncCallback;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.apache.pekko.util.ByteStringBuilder;

/**
 * Spike, candidate (a): one TCP connection of {@link StreamsSpikeServer} as a single GraphStage
 * joined to the connection flow of Pekko Streams' {@code Tcp} (bytes in from the client, bytes
 * out to it). It is the {@link LeanConnection} of the streams design and takes the same steps:
 *
 * <ul>
 *   <li>head: reads until {@link UpgradeHead#parse} decides, within Pekko HTTP's idle timeout;
 *   <li>an accepted upgrade: the 101 answer goes out ahead of the first frames, then this stage is
 *       the glue over {@link WsConnection} on raw bytes (in: {@code onBytes}, pulled only while
 *       {@code wantsRead()}; out: on each pull, every frame available, up to 256 KiB, in one
 *       ByteString; signals through one AsyncCallback; the close timers on this stage's timers);
 *   <li>anything else: the bytes read so far, then the rest of the connection, go through Pekko
 *       HTTP's server layer joined with the routes ({@link LeanConnection.Shared#http()}), run
 *       as a sub-fused substream of this stage, which is what {@code Flow.flatMapPrefix} does.
 * </ul>
 *
 * <p>Why one stage and not {@code flatMapPrefix(1, ...)} followed by a WebSocket stage: a head can
 * come in several reads, which a fixed-size prefix does not express, and every element that
 * crosses a {@code flatMapPrefix} boundary goes through an AsyncCallback of the sub-fused
 * substream, both ways, for the connection's whole life, a cost the lean path does not pay. So
 * the head is this stage's first phase, and only the plain HTTP handoff (off the measured path)
 * uses a substream.
 *
 * <p>Ending, as on the lean path: when {@link WsConnection#done()}, the last bytes are pushed and
 * the output completes; the Tcp stage (bound with half-close) writes them and sends FIN, and
 * this stage reads on, dropping bytes, until the client's FIN, so that unread bytes do not reset
 * the connection under the Close frame, at most {@code close-timeout}. Failing the stage makes
 * the Tcp stage abort the connection (RST), which is the lean path's {@code abort}.
 */
final class StreamsConnectionStage
    extends AbstractGraphStageWithMaterializedValue<
        FlowShape<ByteString, ByteString>, CompletionStage<Done>> {

  private static final String HEAD_TIMER = "head-timeout";
  private static final String CLOSE_TIMER = "close-timeout";
  private static final String FINISH_TIMER = "finish-timeout";
  private static final String IDLE_TIMER = "idle-check";

  /** Fails the stage so that the Tcp stage aborts the connection; no stack trace to fill. */
  private static final class Abort extends RuntimeException {
    Abort() {
      super("connection aborted", null, false, false);
    }
  }

  private static final Abort ABORT = new Abort();

  private final Inlet<ByteString> in = Inlet.create("StreamsConnection.in");
  private final Outlet<ByteString> out = Outlet.create("StreamsConnection.out");
  private final FlowShape<ByteString, ByteString> shape = FlowShape.of(in, out);
  private final LeanConnection.Shared shared;
  private final InetSocketAddress remote;

  StreamsConnectionStage(LeanConnection.Shared shared, InetSocketAddress remote) {
    this.shared = shared;
    this.remote = remote;
  }

  @Override
  public FlowShape<ByteString, ByteString> shape() {
    return shape;
  }

  /** The materialized value completes when the stage stops; it never fails. */
  @Override
  public Pair<GraphStageLogic, CompletionStage<Done>> createLogicAndMaterializedValuePair(
      Attributes attributes) {
    CompletableFuture<Done> stopped = new CompletableFuture<>();
    return Pair.create(new Logic(stopped), stopped);
  }

  private final class Logic extends TimerGraphStageLogic implements WsConnection.Io {
    private final CompletableFuture<Done> stopped;
    private final AsyncCallback<Object> signals = createAsyncCallback(this::onSignal);

    private ByteString head = ByteString.emptyByteString();

    // WebSocket
    private WsConnection ws;
    private ByteString prefix; // the 101 answer, pushed ahead of the first frames
    private boolean flushing;
    private boolean closing;
    private String ioFailure;

    // Plain HTTP, a substream through Pekko HTTP's server layer.
    private SubSourceOutlet<ByteString> httpIn;
    private SubSinkInlet<ByteString> httpOut;
    private ByteString httpHead; // the bytes read before the handoff, Pekko HTTP's first element
    private long lastActivity;

    Logic(CompletableFuture<Done> stopped) {
      super(shape);
      this.stopped = stopped;
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              onHead(grab(in));
            }

            @Override
            public void onUpstreamFinish() {
              completeStage(); // a client that never finished its request
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {} // nothing to write before the head is read
          });
    }

    @Override
    public void preStart() {
      scheduleOnce(HEAD_TIMER, shared.idleTimeout());
      pull(in);
    }

    @Override
    public void postStop() {
      if (ws != null) {
        ws.stopped(ioFailure);
      }
      if (httpIn != null && !httpIn.isClosed()) {
        httpIn.fail(ABORT);
      }
      if (httpOut != null && !httpOut.isClosed()) {
        httpOut.cancel();
      }
      stopped.complete(Done.getInstance());
    }

    @Override
    public void onTimer(Object key) {
      if (HEAD_TIMER.equals(key)) {
        abort(); // a connection that never finished its first request
      } else if (CLOSE_TIMER.equals(key)) {
        if (!closing) {
          // The client did not answer our Close, or does not read what we write: drop it.
          abort();
        }
      } else if (FINISH_TIMER.equals(key)) {
        abort();
      } else if (IDLE_TIMER.equals(key)) {
        onIdleCheck();
      }
    }

    // ---- the request head ----

    private void onHead(ByteString data) {
      head = head.concat(data);
      UpgradeHead.Result result = UpgradeHead.parse(head, data.size(), shared.maxHead());
      if (result == UpgradeHead.Incomplete.INSTANCE) {
        pull(in);
      } else if (result instanceof UpgradeHead.Upgrade upgrade && shared.admissible(upgrade, remote)) {
        startWebSocket(upgrade);
      } else {
        startHttp();
      }
    }


    // ---- WebSocket ----

    private void startWebSocket(UpgradeHead.Upgrade upgrade) {
      cancelTimer(HEAD_TIMER);
      ByteString rest = head.drop(upgrade.headLength());
      head = null;
      prefix = UpgradeHead.switchingProtocols(upgrade);
      ws = shared.webSocket(upgrade, remote, java.util.Optional.empty(), this);
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              ByteString data = grab(in);
              if (!closing) { // once closing, bytes are read only to reach the client's FIN
                ws.onBytes(data);
              }
              inputReady();
            }

            @Override
            public void onUpstreamFinish() {
              // The client's FIN: after our Close is out, the end of the handshake; otherwise a
              // client that goes without a Close frame. Either way the connection is over.
              completeStage();
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              ioFailure = "connection failed";
              completeStage();
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              ws.outbox().rearm();
              flush();
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              if (!(cause instanceof SubscriptionWithCancelException.NonFailureCancellation)) {
                ioFailure = "write failed";
              }
              completeStage();
            }
          });
      ws.start();
      outputReady();
      if (!rest.isEmpty()) {
        ws.onBytes(rest);
      }
      inputReady();
    }

    /** Pushes what is ready, if the Tcp stage wants it, and ends the output once ws is done. */
    private void flush() {
      if (flushing || closing) {
        return;
      }
      flushing = true; // nextFrame() may call back into finish() or outputReady()
      try {
        if (isAvailable(out)) {
          ByteStringBuilder bytes = null;
          if (prefix != null) {
            bytes = new ByteStringBuilder();
            bytes.append(prefix);
            prefix = null;
          }
          bytes = FrameEncoder.coalesce(bytes, ws::nextFrame);
          if (bytes != null) {
            push(out, bytes.result());
          }
        }
        if (ws.done()) {
          // Our Close is handed out (WsConnection ends only after it): the output completes
          // after the last push, and the Tcp stage sends FIN once it is written.
          closing = true;
          cancelTimer(CLOSE_TIMER);
          complete(out);
          scheduleOnce(FINISH_TIMER, shared.context().http().closeTimeout());
          inputReady();
        }
      } finally {
        flushing = false;
      }
    }

    private void onSignal(Object signal) {
      if (ws == null) {
        return;
      }
      if (signal == Outbox.WAKE) {
        if (isAvailable(out) && !closing) {
          ws.outbox().rearm();
          flush();
        } // else the next pull rearms the wake-up and drains the queue
      } else {
        ws.onSignal(signal);
      }
    }

    // ---- WsConnection.Io ----

    @Override
    public void signal(Object signal) {
      signals.invoke(signal);
    }

    @Override
    public void outputReady() {
      flush();
    }

    @Override
    public void inputReady() {
      if ((closing || ws.wantsRead()) && !isClosed(in) && !hasBeenPulled(in)) {
        pull(in);
      }
    }

    @Override
    public void startCloseTimer() {
      if (!closing) {
        scheduleOnce(CLOSE_TIMER, shared.context().http().closeTimeout());
      }
    }

    @Override
    public void finish() {
      flush();
    }

    // ---- plain HTTP ----

    private void startHttp() {
      cancelTimer(HEAD_TIMER);
      lastActivity = System.nanoTime();
      httpHead = head;
      head = null;
      httpIn = new SubSourceOutlet<>("StreamsConnection.httpIn");
      httpOut = new SubSinkInlet<>("StreamsConnection.httpOut");
      httpIn.setHandler(
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (httpHead != null) {
                ByteString bytes = httpHead;
                httpHead = null;
                httpIn.push(bytes);
                if (isClosed(in)) {
                  httpIn.complete();
                }
              } else if (!isClosed(in) && !hasBeenPulled(in)) {
                pull(in);
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              if (!isClosed(in)) {
                cancel(in, cause);
              }
            }
          });
      httpOut.setHandler(
          new AbstractInHandler() {
            @Override
            public void onPush() {
              lastActivity = System.nanoTime();
              push(out, httpOut.grab());
            }

            @Override
            public void onUpstreamFinish() {
              completeStage(); // Pekko HTTP answered all it will: close the connection
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              failStage(ex);
            }
          });
      setHandler(
          in,
          new AbstractInHandler() {
            @Override
            public void onPush() {
              lastActivity = System.nanoTime();
              httpIn.push(grab(in));
            }

            @Override
            public void onUpstreamFinish() {
              // The client sent all its requests: Pekko HTTP answers them, then completes.
              if (httpHead == null) {
                httpIn.complete();
              } // else the head goes first, then the completion
            }

            @Override
            public void onUpstreamFailure(Throwable ex) {
              httpIn.fail(ex);
            }
          });
      setHandler(
          out,
          new AbstractOutHandler() {
            @Override
            public void onPull() {
              if (!httpOut.hasBeenPulled() && !httpOut.isClosed()) {
                httpOut.pull();
              }
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              httpOut.cancel(cause);
              completeStage();
            }
          });
      Source.fromGraph(httpIn.source())
          .via(shared.http().apply(remote))
          .to(httpOut.sink())
          .run(subFusingMaterializer());
      if (isAvailable(out)) {
        httpOut.pull();
      }
      scheduleOnce(IDLE_TIMER, shared.idleTimeout());
    }

    private void onIdleCheck() {
      long idle = System.nanoTime() - lastActivity;
      if (idle >= shared.idleTimeout().toNanos()) {
        abort();
      } else {
        Duration left = shared.idleTimeout().minusNanos(idle);
        scheduleOnce(IDLE_TIMER, left.plus(Duration.ofMillis(10)));
      }
    }

    // ---- helpers ----

    /** Ends the connection with a reset: the Tcp stage aborts when its input fails. */
    private void abort() {
      failStage(ABORT);
    }
  }
}
