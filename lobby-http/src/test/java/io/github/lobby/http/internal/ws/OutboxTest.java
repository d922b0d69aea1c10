package io.github.lobby.http.internal.ws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Transport.Offer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The outbound queue's two budgets: frames and bytes. */
class OutboxTest {

  static final int KIB = 1024;

  final List<Object> signals = new ArrayList<>();

  Outbox outbox(int frames, long bytes) {
    return new Outbox(frames, bytes, signals::add, LobbyMetrics.NONE);
  }

  static ByteString bytes(int n) {
    return ByteString.fromArrayUnsafe(new byte[n]);
  }

  @Test
  void aClientThatDoesNotReadHoldsNoMoreThanTheByteBudget() {
    Outbox outbox = outbox(1024, 1024 * KIB);
    for (int i = 0; i < 16; i++) {
      assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(64 * KIB)), "frame " + i);
    }
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1))); // full to the byte
    assertEquals(1, signals.size(), "one wake-up for the burst");
  }

  @Test
  void sendingFreesTheBudget() {
    Outbox outbox = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(60)));
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(60))); // 60 waited: under the budget
    assertNotNull(outbox.poll());
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(30))); // 60 wait
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(10))); // 90 wait
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1))); // 100 wait: the budget is used up
  }

  @Test
  void aRefusedFrameRefusesEveryLaterOneEvenOnceTheQueueDrained() {
    Outbox outbox = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(120)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1)));
    assertNotNull(outbox.poll()); // the writer drains before the session has closed it
    // Taking this frame would skip the refused one: the client would see a gap.
    assertEquals(Offer.CLOSED, outbox.sendBinary(bytes(1)));
  }

  @Test
  void aFrameLargerThanTheBudgetIsTakenWhileTheQueueIsUnderIt() {
    Outbox outbox = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(99)));
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(500))); // 99 waited: under the budget
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(500)));
    Outbox empty = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, empty.sendBinary(bytes(500)));
    assertEquals(Offer.FULL, empty.sendBinary(bytes(1)));
  }

  @Test
  void theFrameCountStillHoldsForSmallFrames() {
    Outbox outbox = outbox(3, 1024 * KIB);
    for (int i = 0; i < 3; i++) {
      assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(1)));
    }
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1)));
  }

  @Test
  void aFrameRefusedForItsBytesIsNotQueued() {
    Outbox outbox = outbox(2, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(100)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(20)));
    assertEquals(100, outbox.poll().data().length());
    assertEquals(null, outbox.poll(), "the refused frame took no place");
  }

  @Test
  void aWriteStraightToAnIdleSocketHoldsNoBudget() {
    Outbox outbox = outbox(1024, 100);
    List<WsFrame> written = new ArrayList<>();
    outbox.writeDirectly(written::add);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(150))); // written at once
    assertEquals(1, written.size());
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(90))); // queued behind the write
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(20))); // 90 waited
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1)));
  }

  @Test
  void aClosedOutboxRefusesEveryFrame() {
    Outbox outbox = outbox(1024, 100);
    outbox.sendBinary(bytes(100));
    outbox.close(true);
    assertEquals(Offer.CLOSED, outbox.sendBinary(bytes(1)));
  }

  @Test
  void afterOurCloseNothingQueuedGoesOutNorTakesTheWriteTokenBack() {
    Outbox outbox = outbox(1024, 100);
    outbox.close(false); // frames queued before this still go out before the Close frame
    outbox.seal(); // the Close frame is out
    assertEquals(Offer.CLOSED, outbox.sendBinary(bytes(1)));
    assertEquals(null, outbox.poll());
    assertEquals(false, outbox.release());
  }

  @Test
  void aFrameThatSlippedInBeforeTheSealIsDropped() {
    Outbox outbox = outbox(1024, 100);
    assertTrue(outbox.acquire()); // a write in flight: offers queue
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(10)));
    outbox.seal();
    assertEquals(false, outbox.release(), "the writer must not loop on a frame it may not send");
    assertEquals(null, outbox.poll());
  }
}
