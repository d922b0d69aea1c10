package io.github.lobby.http.internal.guard;

import java.time.Duration;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.BidiShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.stream.stage.TimerGraphStageLogic;
import org.apache.pekko.util.ByteString;

/**
 * {@link HeadGuard#bidiFlow()}: a {@link HeadWatch} between a connection's bytes and Pekko HTTP,
 * with a timer for the head deadline. An error answer is written in place of anything more from
 * Pekko HTTP, then the stage completes, which closes the connection.
 */
final class HeadGuardStage extends GraphStage<BidiShape<ByteString, ByteString, ByteString, ByteString>> {

  private final HeadGuard guard;
  private final Inlet<ByteString> fromServer = Inlet.create("HeadGuard.fromServer");
  private final Outlet<ByteString> toClient = Outlet.create("HeadGuard.toClient");
  private final Inlet<ByteString> fromClient = Inlet.create("HeadGuard.fromClient");
  private final Outlet<ByteString> toServer = Outlet.create("HeadGuard.toServer");
  private final BidiShape<ByteString, ByteString, ByteString, ByteString> shape =
      BidiShape.of(fromServer, toClient, fromClient, toServer);

  HeadGuardStage(HeadGuard guard) {
    this.guard = guard;
  }

  @Override
  public BidiShape<ByteString, ByteString, ByteString, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes attributes) {
    return new TimerGraphStageLogic(shape) {
      private final HeadWatch watch = guard.watch(System.nanoTime());
      private boolean ending;

      {
        setHandler(
            fromClient,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                ByteString data = grab(fromClient);
                HeadWatch.Verdict verdict = watch.onClientBytes(data);
                if (verdict == HeadWatch.Verdict.PASS) {
                  push(toServer, data);
                } else {
                  end(verdict.status() == 0 ? null : HeadGuard.answer(verdict));
                }
              }

              @Override
              public void onUpstreamFinish() {
                complete(toServer); // the client sent all: Pekko HTTP answers what it received
              }
            });
        setHandler(
            toServer,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                if (!ending) {
                  pull(fromClient);
                }
              }

              @Override
              public void onDownstreamFinish(Throwable cause) {
                cancel(fromClient);
              }
            });
        setHandler(
            fromServer,
            new AbstractInHandler() {
              @Override
              public void onPush() {
                ByteString data = grab(fromServer);
                boolean deadlineStarted = watch.onAnswerBytes(data);
                push(toClient, data);
                if (watch.closeAfterAnswer()) {
                  end(null);
                } else if (deadlineStarted) {
                  schedule();
                }
              }
            });
        setHandler(
            toClient,
            new AbstractOutHandler() {
              @Override
              public void onPull() {
                if (!ending) {
                  pull(fromServer);
                }
              }
            });
      }

      @Override
      public void preStart() {
        schedule();
      }

      @Override
      public void onTimer(Object key) {
        long left = watch.nanosLeft(System.nanoTime());
        if (left == Long.MAX_VALUE) {
          return; // a request is being served; an answer's end sets the timer again
        }
        if (left > 0) {
          schedule();
        } else if (watch.headStarted() && watch.mayAnswer()) {
          end(HeadGuard.timeoutAnswer());
        } else {
          end(null); // nothing of a request arrived, or an answer is being written
        }
      }

      private void schedule() {
        long left = watch.nanosLeft(System.nanoTime());
        if (left != Long.MAX_VALUE) {
          scheduleOnce("head", Duration.ofNanos(Math.max(left, 0) + 1_000_000));
        }
      }

      /** Writes {@code answer} (when not null and one may be written), then closes. */
      private void end(org.apache.pekko.util.ByteString answer) {
        if (ending) {
          return;
        }
        ending = true;
        cancelTimer("head");
        cancel(fromClient);
        cancel(fromServer);
        complete(toServer);
        if (answer != null && watch.mayAnswer()) {
          emit(toClient, answer, this::completeStage);
        } else {
          complete(toClient);
        }
      }

      @Override
      public void postStop() {
        watch.release();
      }
    };
  }
}
