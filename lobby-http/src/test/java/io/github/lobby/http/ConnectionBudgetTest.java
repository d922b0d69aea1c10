package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What one client address and unfinished heads may hold on LobbyServer's listener: every
 * connection counts against {@code max-connections-per-ip} from its accept (429 beyond), and
 * unfinished heads against {@code head-buffer-budget} (503) and {@code max-request-head} (431).
 */
class ConnectionBudgetTest {

  @Test
  void theDefaultPerAddressLimitIsFinite() {
    HttpSettings defaults = HttpSettings.fromConfig(ConfigFactory.load());
    assertEquals(2048, defaults.maxConnectionsPerIp());
  }

  private static void assertStatus(SlowSocket.Answer answer, int status, String code) {
    assertNotNull(answer, "closed without an answer");
    assertEquals(status, answer.status(), answer.head());
    RequestValidationTest.assertJsonError(answer.head(), answer.body());
    assertTrue(answer.body().contains("\"" + code + "\""), answer.body());
  }

  /** A GET /health that may be refused 429 while a closed connection is not yet counted off. */
  private static SlowSocket.Answer health(int port) throws Exception {
    for (int i = 0; ; i++) {
      try (SlowSocket socket = new SlowSocket(port)) {
        socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        SlowSocket.Answer answer = socket.readAnswer();
        if (answer.status() != 429 || i == 50) {
          return answer;
        }
      }
      Thread.sleep(100);
    }
  }

  @Test
  void everyConnectionOfAnAddressCountsFromItsAcceptAndOneTooMany429s() throws Exception {
    try (TestServer server = new TestServer("lobby.http.max-connections-per-ip = 3")) {
      List<SlowSocket> held = new ArrayList<>();
      // An unfinished head, a keep-alive plain HTTP connection, a WebSocket.
      SlowSocket unfinished = new SlowSocket(server.port());
      unfinished.send("GET /heal");
      held.add(unfinished);
      SlowSocket keepAlive = new SlowSocket(server.port());
      keepAlive.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, keepAlive.readAnswer().status());
      held.add(keepAlive);
      SlowSocket ws = new SlowSocket(server.port());
      ws.send(
          "GET /room HTTP/1.1\r\n" + RequestHeadGuardTest.UPGRADE_REST);
      assertEquals(101, ws.readAnswer().status());
      held.add(ws);

      try (SlowSocket fourth = new SlowSocket(server.port())) {
        fourth.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        SlowSocket.Answer answer = fourth.readAnswer();
        assertStatus(answer, 429, "too_many_connections");
        assertTrue(fourth.endsWithNothingMore());
      }
      // One leaves: the next is served.
      held.remove(0).close();
      assertEquals(200, health(server.port()).status());
      for (SlowSocket s : held) {
        s.close();
      }
    }
  }

  @Test
  void unfinishedHeadsShareOneBudgetAndOneHeadHasAMost() throws Exception {
    try (TestServer server =
        new TestServer("lobby.http { head-buffer-budget = 8 KiB, max-request-head = 4 KiB }")) {
      String start = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ";
      String pad = "p".repeat(3000 - start.length());
      SlowSocket a = new SlowSocket(server.port());
      SlowSocket b = new SlowSocket(server.port());
      a.send(start + pad);
      b.send(start + pad);
      Thread.sleep(500); // both heads are read and held: 6,000 of the 8,192 bytes
      try (SlowSocket c = new SlowSocket(server.port())) {
        c.send(start + pad);
        SlowSocket.Answer answer = c.readAnswer();
        assertStatus(answer, 503, "unavailable");
        assertTrue(c.endsWithNothingMore());
      }
      // A head that ends gives its bytes back.
      a.send("\r\n\r\n");
      assertEquals(200, a.readAnswer().status());
      try (SlowSocket d = new SlowSocket(server.port())) {
        d.send(start + pad + "\r\n\r\n");
        assertEquals(200, d.readAnswer().status());
      }
      // One head longer than max-request-head, complete or not.
      try (SlowSocket e = new SlowSocket(server.port())) {
        e.send(start + "p".repeat(4200) + "\r\n\r\n");
        assertStatus(e.readAnswer(), 431, "headers_too_large");
      }
      a.close();
      b.close();
    }
  }
}
