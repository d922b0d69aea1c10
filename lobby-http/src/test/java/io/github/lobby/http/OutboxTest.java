package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
    return new Outbox(frames, bytes, signals::add);
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
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(64 * KIB)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1))); // full to the byte
    assertEquals(1, signals.size(), "one wake-up for the burst");
  }

  @Test
  void sendingFreesTheBudget() {
    Outbox outbox = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(60)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(60)));
    assertNotNull(outbox.poll());
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(60)));
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(40)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1)));
  }

  @Test
  void oneFrameLargerThanTheBudgetIsTakenOnlyIntoAnEmptyQueue() {
    Outbox outbox = outbox(1024, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(500)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(1)));
    outbox.poll();
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(1)));
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(500)));
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
  void aFrameRefusedForItsBytesDoesNotTakeAPlaceInTheCount() {
    Outbox outbox = outbox(2, 100);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(90)));
    for (int i = 0; i < 5; i++) {
      assertEquals(Offer.FULL, outbox.sendBinary(bytes(20)));
    }
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(10)));
  }

  @Test
  void aWriteStraightToAnIdleSocketHoldsNoBudget() {
    Outbox outbox = outbox(1024, 100);
    List<EngineFrames.OutFrame> written = new ArrayList<>();
    outbox.writeDirectly(written::add);
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(90))); // written at once
    assertEquals(1, written.size());
    assertEquals(Offer.ACCEPTED, outbox.sendBinary(bytes(90))); // queued behind the write
    assertEquals(Offer.FULL, outbox.sendBinary(bytes(20)));
  }

  @Test
  void aClosedOutboxRefusesEveryFrame() {
    Outbox outbox = outbox(1024, 100);
    outbox.sendBinary(bytes(100));
    outbox.close(true);
    assertEquals(Offer.CLOSED, outbox.sendBinary(bytes(1)));
  }
}
