package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The lean binding's {@code max-connections}: beyond it, connections wait in the backlog. */
class ListenerLimitTest {

  @Test
  void aConnectionBeyondMaxConnectionsWaitsUntilAnotherCloses() throws Exception {
    try (TestServer server = new TestServer("lobby.http.max-connections = 2")) {
      RawClient first = new RawClient(server.port(), "/limit");
      RawClient second = new RawClient(server.port(), "/limit");
      assertTrue(first.statusLine.startsWith("HTTP/1.1 101"), first.statusLine);
      assertTrue(second.statusLine.startsWith("HTTP/1.1 101"), second.statusLine);

      // The third gets through TCP's handshake (the backlog) but is not served yet.
      CompletableFuture<RawClient> third =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new RawClient(server.port(), "/limit");
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(1_000);
      assertFalse(third.isDone(), "a third connection was served past max-connections = 2");

      first.sendClose(1000);
      first.readFrameSkippingPings(); // the rest of the welcome and join notices, or the Close
      first.close();
      RawClient served = third.get(10, TimeUnit.SECONDS);
      assertTrue(served.statusLine.startsWith("HTTP/1.1 101"), served.statusLine);
      assertEquals(0x1, served.readFrame().opcode()); // its welcome
      served.close();
      second.close();
    }
  }
}
