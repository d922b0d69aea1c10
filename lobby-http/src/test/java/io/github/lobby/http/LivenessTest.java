package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
        new TestServer("lobby.heartbeat-interval = 200ms\nlobby.client-timeout = 600ms")) {
      JdkClient quiet = JdkClient.connect(server, "/quiet"); // the JDK client answers Pings
      quiet.welcomeId();
      Thread.sleep(3 * 600 + 200);
      assertTrue(!quiet.closeCode.isDone(), "closed with " + quiet.closeCode.getNow(null));
      quiet.send("still here");
      assertTrue(quiet.next().contains("still here"));
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
      // Room is freed once the first session has gone.
      long deadline = System.currentTimeMillis() + 5000;
      while (System.currentTimeMillis() < deadline
          && !server.get("/health").body().contains("\"sessions\":1")) {
        Thread.onSpinWait();
      }
      JdkClient c = JdkClient.connect(server, "/full");
      c.welcomeId();
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
