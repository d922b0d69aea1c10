package io.github.lobby.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InboundRateTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  @Test
  void aBurstOfOneSecondsWorthPassesThenTheSustainedRate() {
    InboundRate rate = new InboundRate(10, now::get);
    for (int i = 0; i < 10; i++) {
      assertTrue(rate.tryAcquire(), "burst message " + i);
    }
    assertFalse(rate.tryAcquire());
    now.addAndGet(100_000_000L); // 0.1 s refills one message
    assertTrue(rate.tryAcquire());
    assertFalse(rate.tryAcquire());
  }

  @Test
  void idleTimeRefillsNoMoreThanTheBurst() {
    InboundRate rate = new InboundRate(3, now::get);
    now.addAndGet(3_600_000_000_000L);
    for (int i = 0; i < 3; i++) {
      assertTrue(rate.tryAcquire());
    }
    assertFalse(rate.tryAcquire());
  }

  @Test
  void throttledMessagesAreAllTakenEachDueOneIntervalAfterThePrevious() {
    InboundRate rate = new InboundRate(10, now::get);
    for (int i = 0; i < 10; i++) {
      assertEquals(0, rate.acquire(), "burst message " + i);
    }
    assertEquals(100_000_000L, rate.acquire());
    assertEquals(200_000_000L, rate.acquire());
    now.addAndGet(150_000_000L);
    assertEquals(150_000_000L, rate.acquire()); // the fourth over the burst: due at 300 ms
    assertFalse(rate.tryAcquire()); // and nothing is free meanwhile
    now.addAndGet(1_000_000_000L);
    assertEquals(0, rate.acquire()); // caught up: within the limit again
  }

  @Test
  void aRefusedMessageTakesNothing() {
    InboundRate rate = new InboundRate(1, now::get);
    assertTrue(rate.tryAcquire());
    for (int i = 0; i < 5; i++) {
      assertFalse(rate.tryAcquire());
    }
    now.addAndGet(1_000_000_000L);
    assertTrue(rate.tryAcquire());
  }

  @Test
  void aCostlyMessageTakesItsSizeOfTheBudget() {
    InboundRate bytes = new InboundRate(1000, now::get); // 1,000 bytes per second
    assertTrue(bytes.tryAcquire(600));
    assertFalse(bytes.tryAcquire(600)); // 1,200 in a second is over the burst
    assertTrue(bytes.tryAcquire(400));
    assertEquals(500_000_000L, bytes.acquire(500)); // 500 bytes more: due in half a second
    now.addAndGet(2_000_000_000L);
    assertEquals(0, bytes.acquire(1000));
  }

  @Test
  void unlimitedNeverRefuses() {
    InboundRate rate = new InboundRate(Integer.MAX_VALUE, now::get);
    for (int i = 0; i < 100_000; i++) {
      assertTrue(rate.tryAcquire());
      assertEquals(0, rate.acquire());
    }
  }
}
