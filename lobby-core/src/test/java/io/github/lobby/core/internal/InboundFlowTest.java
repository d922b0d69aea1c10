package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.LobbyMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import org.apache.pekko.actor.Cancellable;
import org.junit.jupiter.api.Test;

/** When a session's client messages are acknowledged, on a clock of the test's own. */
class InboundFlowTest {

  final AtomicLong now = new AtomicLong(1_000_000_000L);
  final Host host = new Host();

  /** Counts acknowledgements and records the wake-ups asked for. */
  static final class Host implements SessionHost {
    int acknowledged;
    final List<Duration> wakeUps = new ArrayList<>();

    @Override
    public void acknowledge() {
      acknowledged++;
    }

    @Override
    public Cancellable scheduleOnce(Duration delay, SessionControl message) {
      assertEquals(SessionControl.AckDue.INSTANCE, message);
      wakeUps.add(delay);
      return new Cancellable() {
        @Override
        public boolean cancel() {
          return true;
        }

        @Override
        public boolean isCancelled() {
          return false;
        }
      };
    }

    @Override
    public <T> void pipeToSelf(
        CompletionStage<T> stage, BiFunction<T, Throwable, SessionControl> adapt) {
      throw new AssertionError("not used by the flow");
    }
  }

  @Test
  void aMessageWaitingForItsRoomIsAcknowledgedWhenTheRoomIsDoneInTheOrderReceived() {
    InboundFlow flow = new InboundFlow(1000, 1 << 20, true, now::get);
    flow.waitForRoom(flow.admit(5, LobbyMetrics.NONE));
    flow.waitForLobby(flow.admit(5, LobbyMetrics.NONE));
    assertEquals(0, host.acknowledged);
    assertTrue(flow.done(false, host)); // the Lobby's work
    assertEquals(1, host.acknowledged);
    assertTrue(flow.done(true, host));
    assertEquals(2, host.acknowledged);
    assertFalse(flow.done(true, host), "nothing else waited");
  }

  @Test
  void overTheRateInThrottleModeTheAcknowledgementWaitsUntilTheBudgetRefilled() {
    InboundFlow flow = new InboundFlow(2, 1 << 20, true, now::get);
    assertEquals(InboundFlow.NOW, flow.admit(1, LobbyMetrics.NONE));
    assertEquals(InboundFlow.NOW, flow.admit(1, LobbyMetrics.NONE));
    long due = flow.admit(1, LobbyMetrics.NONE);
    assertEquals(now.get() + 500_000_000L, due);
    flow.acknowledgeAt(due, host);
    assertEquals(0, host.acknowledged);
    assertEquals(List.of(Duration.ofMillis(500)), host.wakeUps);
    now.addAndGet(500_000_000L);
    flow.ackDue(host);
    assertEquals(1, host.acknowledged);
    assertEquals(1, host.wakeUps.size(), "nothing more to wake up for");
  }

  @Test
  void overEitherRateInCloseModeTheMessageIsRefused() {
    InboundFlow flow = new InboundFlow(1000, 10, false, now::get);
    assertEquals(InboundFlow.NOW, flow.admit(10, LobbyMetrics.NONE));
    assertEquals(InboundFlow.REFUSED, flow.admit(1, LobbyMetrics.NONE), "the bytes are over");
  }

  @Test
  void deferredAcknowledgementsGoOutEarliestFirstOneWakeUpAtATime() {
    InboundFlow flow = new InboundFlow(1000, 1 << 20, true, now::get);
    long start = now.get();
    flow.acknowledgeAt(start + 300, host);
    flow.acknowledgeAt(start + 100, host);
    flow.acknowledgeAt(start + 200, host);
    assertEquals(List.of(Duration.ofNanos(300)), host.wakeUps, "one timer, as first asked");
    now.set(start + 150);
    flow.ackDue(host);
    assertEquals(1, host.acknowledged);
    assertEquals(Duration.ofNanos(50), host.wakeUps.get(1));
    now.set(start + 300);
    flow.ackDue(host);
    assertEquals(3, host.acknowledged);
  }

  @Test
  void silenceGrowsByWholeIntervalsAndAnyFrameOrAPartialIntervalEndsIt() {
    InboundFlow flow = new InboundFlow(1000, 1 << 20, true, now::get);
    Duration beat = Duration.ofSeconds(5);
    assertEquals(beat, flow.silence(false, beat));
    assertEquals(beat.multipliedBy(2), flow.silence(false, beat));
    flow.admit(0, LobbyMetrics.NONE); // a Pong
    assertEquals(Duration.ZERO, flow.silence(false, beat));
    assertEquals(beat, flow.silence(false, beat));
    assertEquals(Duration.ZERO, flow.silence(true, beat));
  }
}
