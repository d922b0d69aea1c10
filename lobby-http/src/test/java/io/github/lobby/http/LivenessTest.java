package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.Lobby;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Heartbeat, connection limit and shutdown (PROTOCOL.md sections 1 and 5) over real sockets. */
class LivenessTest {

  @Test
  void aClientThatNeverAnswersPingsIsClosedWithinTheTimeoutPlusOneInterval() throws Exception {
    try (TestServer server =
            new TestServer("lobby.heartbeat-interval = 200ms\nlobby.client-timeout = 600ms");
        RawClient silent = new RawClient(server.port(), "/beat")) {
      JdkClient watcher = JdkClient.connect(server, "/beat");
      watcher.welcomeId();
      long start = System.nanoTime();
      int pings = 0;
      while (true) {
        RawClient.Frame frame = silent.readFrame();
        if (frame.opcode() == 0x9) {
          pings++;
        } else if (frame.opcode() == 0x8) {
          assertEquals(1001, frame.closeCode());
          break;
        }
      }
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertTrue(pings >= 2, "pings: " + pings);
      assertTrue(elapsedMs <= 600 + 200 + 500, "closed after " + elapsedMs + " ms");
      assertTrue(watcher.next().endsWith(" disconnected."));
    }
  }

  @Test
  void aSilentClientThatAnswersPingsStaysForThreeTimeouts() throws Exception {
    try (TestServer server =
            new TestServer("lobby.heartbeat-interval = 200ms\nlobby.client-timeout = 600ms");
        RawClient quiet = new RawClient(server.port(), "/quiet")) {
      assertTrue(quiet.readFrame().text().startsWith("your id is "));
      // Ten Pings at 200 ms take at least 1.8 s, three client timeouts: each is answered with a
      // Pong and nothing else is sent; a server that ignored the Pongs would close at 600 ms.
      for (int pings = 0; pings < 10; ) {
        RawClient.Frame frame = quiet.readFrame();
        assertEquals(0x9, frame.opcode(), "only Pings while the client is silent, got " + frame);
        quiet.sendFrame(0xA, frame.payload(), true, true, 0);
        pings++;
      }
      quiet.sendText("still here");
      RawClient.Frame echo = quiet.readFrameSkippingPings();
      assertEquals(0x1, echo.opcode(), "the session is still open: " + echo);
      assertTrue(echo.text().contains("still here"), echo.text());
    }
  }

  @Test
  void theConnectionLimitAnswers503() {
    try (TestServer server = new TestServer("lobby.max-sessions = 2")) {
      JdkClient a = JdkClient.connect(server, "/full");
      a.welcomeId();
      JdkClient b = JdkClient.connect(server, "/full");
      b.welcomeId();
      try (RawClient third = new RawClient(server.port(), "/full")) {
        assertTrue(third.statusLine.contains(" 503 "), third.statusLine);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      a.close();
      a.awaitClose(Duration.ofSeconds(5));
      assertTrue(b.next().endsWith(" disconnected."));
      // The place is freed once the first session has gone: the count drops to one, and a new
      // client is admitted and joins the room.
      server.awaitStats(new Lobby.Stats(1, 1, 2));
      JdkClient c = JdkClient.connect(server, "/full");
      String cId = c.welcomeId();
      assertEquals(cId + " just joined!", b.next());
    }
  }

  @Test
  void stoppingTheServerClosesEverySessionWith1001() {
    TestServer server = new TestServer();
    try {
      List<JdkClient> clients = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        JdkClient client = JdkClient.connect(server, "/stop-" + (i % 3));
        client.welcomeId();
        clients.add(client);
      }
      server.server.stop().toCompletableFuture().join();
      for (JdkClient client : clients) {
        assertEquals(1001, client.awaitClose(Duration.ofSeconds(10)));
      }
    } finally {
      server.close();
    }
  }
}
