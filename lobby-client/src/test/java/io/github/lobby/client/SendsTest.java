package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class SendsTest {

  private final Callbacks callbacks = new Callbacks(Runnable::run, new LobbyClient.Listener() {});

  /** A connection that was never opened: what is written waits in its outbox. */
  private final Connection connection =
      new Connection(
          new Connection.Owner() {
            @Override
            public void received(Connection c, String text) {}

            @Override
            public void disconnected(Connection c, int code, String reason) {}
          },
          Runnable::run,
          0);

  private static Sends.Pending pending(Object value) {
    return new Sends.Pending(Sends.frame("message", null, null, value), new CompletableFuture<>());
  }

  private static String code(CompletableFuture<Ack> answer) {
    ExecutionException e = assertThrows(ExecutionException.class, answer::get);
    return ((LobbyClientException) e.getCause()).code();
  }

  @Test
  void framesCarryTheValueAndTheTarget() {
    assertEquals(
        "{\"type\":\"whisper\",\"to\":\"s1\",\"msg\":\"hi\"}",
        Sends.frame("whisper", "to", "s1", "hi").toString());
    assertEquals(
        "{\"type\":\"message\",\"msg\":{\"a\":[1]}}",
        Sends.frame("message", null, null, Map.of("a", List.of(1))).toString());
  }

  @Test
  void everySendGetsAUniqueReference() {
    Sends sends = new Sends(10, 10, callbacks);
    Sends.Pending a = pending("a");
    Sends.Pending b = pending("b");
    sends.enqueue(a, false);
    sends.enqueue(b, false);
    assertNotEquals(a.ref, b.ref);
    assertTrue(a.text.contains("\"ref\":\"" + a.ref + "\""));
    assertEquals(2, sends.waiting());
  }

  @Test
  void beyondMaxQueuedASendFailsWhileNotConnectedOnly() {
    Sends sends = new Sends(1, 10, callbacks);
    sends.enqueue(pending("a"), false);
    Sends.Pending refused = pending("b");
    sends.enqueue(refused, false);
    assertEquals(LobbyClientException.QUEUE_FULL, code(refused.answer));
    Sends.Pending taken = pending("c");
    sends.enqueue(taken, true);
    assertEquals(2, sends.waiting());
  }

  @Test
  void flushWritesUpToMaxInFlightAndAnAnswerMakesRoom() {
    Sends sends = new Sends(10, 2, callbacks);
    Sends.Pending a = pending("a");
    sends.enqueue(a, true);
    sends.enqueue(pending("b"), true);
    sends.enqueue(pending("c"), true);
    sends.flush(connection);
    assertEquals(2, sends.unanswered());
    assertEquals(1, sends.waiting());
    assertSame(a, sends.answered(a.ref));
    assertNull(sends.answered(a.ref));
    sends.flush(connection);
    assertEquals(2, sends.unanswered());
    assertEquals(0, sends.waiting());
  }

  @Test
  void aResumedSessionKeepsTheUnansweredAndANewOneFailsThem() {
    Sends sends = new Sends(10, 10, callbacks);
    Sends.Pending a = pending("a");
    sends.enqueue(a, true);
    sends.flush(connection);
    sends.welcomed(connection, true);
    assertEquals(1, sends.unanswered());
    assertSame(a, sends.answered(a.ref));
    Sends.Pending b = pending("b");
    sends.enqueue(b, true);
    sends.flush(connection);
    sends.welcomed(connection, false);
    assertEquals(0, sends.unanswered());
    assertEquals(LobbyClientException.OUTCOME_UNKNOWN, code(b.answer));
  }

  @Test
  void stoppingFailsTheUnansweredAsUnknownAndTheWaitingWithTheCause() {
    Sends sends = new Sends(10, 1, callbacks);
    Sends.Pending written = pending("a");
    Sends.Pending waiting = pending("b");
    sends.enqueue(written, true);
    sends.enqueue(waiting, true);
    sends.flush(connection);
    sends.stopped(
        "refused",
        new LobbyClientException(LobbyClientException.FORBIDDEN, "forbidden", 403, null));
    assertEquals(LobbyClientException.OUTCOME_UNKNOWN, code(written.answer));
    assertEquals(LobbyClientException.FORBIDDEN, code(waiting.answer));
    assertEquals(0, sends.unanswered() + sends.waiting());
  }
}
