package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The request-head guard of LobbyServer's listener, with real sockets: the head deadline
 * ({@code request-head-timeout}, 3 s here) on the lean path's first head, on heads handed to Pekko
 * HTTP and on the next heads of a keep-alive connection; bare CR or LF in a head; slow but
 * complete requests still served.
 */
class RequestHeadGuardTest {

  /** One byte every 2 s: a slow client whose head never completes within 3 s. */
  static final Duration SLOW = Duration.ofSeconds(2);

  static TestServer server;

  @BeforeAll
  static void start() {
    server = new TestServer("lobby.http.request-head-timeout = 3s");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static final String UPGRADE_REST =
      "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

  /** Sends {@code start} at once and the rest a byte at a time: the answer is 408, early. */
  static void assertCutWith408(SlowSocket socket, String start, String rest) throws Exception {
    socket.send(start);
    AtomicInteger sent = socket.trickle(rest, SLOW);
    SlowSocket.Answer answer = socket.readAnswer();
    assertNotNull(answer, "the connection closed without an answer");
    assertEquals(408, answer.status(), answer.head());
    RequestValidationTest.assertJsonError(answer.head(), answer.body());
    assertTrue(answer.body().contains("\"request_timeout\""), answer.body());
    assertTrue(answer.head().toLowerCase().contains("connection: close"), answer.head());
    assertTrue(sent.get() < rest.length(), "cut before the head was complete: " + sent.get());
    assertTrue(socket.endsWithNothingMore());
  }

  @Test
  void aSlowUpgradeHeadIsCutWith408AtTheDeadline() throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      assertCutWith408(socket, "GET /room HTTP/1.1\r\n", UPGRADE_REST);
    }
  }

  @Test
  void aSlowPlainHttpHeadIsCutWith408AtTheDeadline() throws Exception {
    // Handed to Pekko HTTP at once (not GET /): one byte every 2 s used to hold it for ever.
    try (SlowSocket socket = new SlowSocket(server.port())) {
      assertCutWith408(
          socket,
          "POST /dailyDashBoard HTTP/1.1\r\n",
          "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]");
    }
    try (SlowSocket socket = new SlowSocket(server.port())) {
      assertCutWith408(socket, "P", "UT /rooms HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    }
  }

  @Test
  void theNextHeadOfAKeepAliveConnectionHasItsDeadlineFromTheEndOfTheAnswer() throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      assertCutWith408(socket, "GET /health HTTP/1.1\r\n", "Host: 127.0.0.1\r\n\r\n");
    }
  }

  @Test
  void aConnectionThatSendsNothingIsClosedWithoutAnAnswer() throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      assertNull(socket.readAnswer(), "nothing was asked, nothing is answered");
    }
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      assertNull(socket.readAnswer(), "an idle keep-alive connection ends at the deadline");
    }
  }

  @Test
  void aSlowButCompleteRequestWithinTheDeadlineIsServed() throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /hea");
      Thread.sleep(700);
      socket.send("lth HTTP/1.1\r\n");
      Thread.sleep(700);
      socket.send("Host: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      Thread.sleep(1000);
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n");
      Thread.sleep(700);
      socket.send("\r\n");
      assertEquals(200, socket.readAnswer().status());
    }
    // The deadline is the head's: a body may take longer.
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send(
          "POST /dailyDashBoard HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + TestServer.TOKEN
              + "\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n");
      Thread.sleep(2000);
      socket.send("[");
      Thread.sleep(2000);
      socket.send("]");
      SlowSocket.Answer answer = socket.readAnswer();
      assertEquals(200, answer.status(), answer.head() + answer.body());
    }
    // A WebSocket upgrade whose head arrives in pieces within the deadline.
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /room HTTP/1.1\r\n");
      Thread.sleep(1000);
      socket.send(UPGRADE_REST);
      assertEquals(101, socket.readAnswer().status());
    }
  }

  @Test
  void aBodyTrickledAByteAtATimeDoesNotResetTheIdleTimeout() throws Exception {
    try (TestServer idle =
            new TestServer(
                "lobby.http.request-head-timeout = 3s\npekko.http.server.idle-timeout = 4s");
        SlowSocket socket = new SlowSocket(idle.port())) {
      String body = "[" + " ".repeat(28) + "]";
      socket.send(
          "POST /dailyDashBoard HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + TestServer.TOKEN
              + "\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n");
      AtomicInteger sent = socket.trickle(body, Duration.ofSeconds(1));
      assertNull(socket.readAnswer(), "closed at the idle timeout, with the body unfinished");
      assertTrue(sent.get() < body.length(), "cut before the body was complete: " + sent.get());
    }
  }

  static void assertRefused400(String request) throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send(request);
      SlowSocket.Answer answer = socket.readAnswer();
      assertNotNull(answer, request);
      assertEquals(400, answer.status(), request + " -> " + answer.head());
      RequestValidationTest.assertJsonError(answer.head(), answer.body());
      assertTrue(answer.body().contains("CR LF"), answer.body());
      assertTrue(socket.endsWithNothingMore());
    }
  }

  @Test
  void aBareLineFeedOrCarriageReturnInAHeadIs400() throws Exception {
    assertRefused400("GET /room HTTP/1.1\nHost: x\n\n");
    assertRefused400(
        "GET /room HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "X-Note: a\rUpgrade: other\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    assertRefused400(
        "POST /dailyDashBoard HTTP/1.1\r\nHost: 127.0.0.1\nContent-Length: 0\r\n\r\n");
    assertRefused400("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Note: a\rb\r\n\r\n");
    // On the next request of a keep-alive connection, after the hand-over to Pekko HTTP.
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\nX-Note: b\r\n\r\n");
      SlowSocket.Answer answer = socket.readAnswer();
      assertEquals(400, answer.status(), answer.head());
      RequestValidationTest.assertJsonError(answer.head(), answer.body());
    }
  }

  @Test
  void bodiesAndAnswersToHeadKeepTheGuardInStep() throws Exception {
    try (SlowSocket socket = new SlowSocket(server.port())) {
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      // A body that holds what would be a bare LF in a head: not a head.
      socket.send(
          "POST /dailyDashBoard HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + TestServer.TOKEN
              + "\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\n[\n]");
      SlowSocket.Answer answer = socket.readAnswer();
      assertNotEquals(408, answer.status());
      assertEquals(200, answer.status(), answer.head() + answer.body());
      // HEAD's answer has a Content-Length and no body.
      socket.send("HEAD /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      SlowSocket.Answer head = readHeadOnly(socket);
      assertEquals(405, head.status(), head.head()); // with a Content-Length, without the body
      assertTrue(head.head().toLowerCase().contains("content-length: "), head.head());
      socket.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertEquals(200, socket.readAnswer().status());
      assertCutWith408(socket, "GET /health HTTP/1.1\r\n", "Host: 127.0.0.1\r\n\r\n");
    }
  }

  /** The answer to a HEAD request: its head only. */
  private static SlowSocket.Answer readHeadOnly(SlowSocket socket) throws Exception {
    return socket.readHeadAnswer(); // a Content-Length, and no body

  }
}
