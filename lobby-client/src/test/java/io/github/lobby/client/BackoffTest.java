package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackoffTest {

  @Test
  void capDoublesAtEachAttemptUpToTheMaximum() {
    Backoff backoff = new Backoff(250, 1_000);
    assertEquals(250, backoff.cap());
    backoff.next(false);
    assertEquals(500, backoff.cap());
    backoff.next(false);
    assertEquals(1_000, backoff.cap());
    backoff.next(false);
    assertEquals(1_000, backoff.cap());
  }

  @Test
  void delaysAreDrawnBelowTheCap() {
    Backoff backoff = new Backoff(100, 100);
    for (int i = 0; i < 1_000; i++) {
      long delay = backoff.next(false);
      assertTrue(delay >= 0 && delay < 100, "delay " + delay);
    }
  }

  @Test
  void anImmediateAttemptWaitsNothingButStillCounts() {
    Backoff backoff = new Backoff(100, 10_000);
    assertEquals(0, backoff.next(true));
    assertEquals(200, backoff.cap());
  }

  @Test
  void resetStartsAgainFromTheInitialCap() {
    Backoff backoff = new Backoff(100, 10_000);
    backoff.next(false);
    backoff.next(false);
    backoff.reset();
    assertEquals(100, backoff.cap());
  }

  @Test
  void manyAttemptsNeverOverflowTheCap() {
    Backoff backoff = new Backoff(250, 10_000);
    for (int i = 0; i < 100; i++) {
      backoff.next(false);
    }
    assertEquals(10_000, backoff.cap());
  }

  @Test
  void boundsAreAtLeastOneMillisecondAndMaxAtLeastInitial() {
    assertEquals(1, new Backoff(0, 0).cap());
    assertEquals(300, new Backoff(300, 100).cap());
  }
}
