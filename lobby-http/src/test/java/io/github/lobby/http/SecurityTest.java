package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.lobby.core.Lobby;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The admin token, the Origin allow-list and the connection limits. */
class SecurityTest {

  private static final String[][] ADMIN_ROUTES = {
    {"GET", "/rooms"}, {"GET", "/rooms/x"}, {"POST", "/rooms/x/messages"}, {"POST", "/dailyDashBoard"}
  };

  @Test
  void aGeneratedTokenIsLoggedOnceAtStartAndNeverAgainNorAnyWrongToken() throws Exception {
    LoggerContext logging = (LoggerContext) LoggerFactory.getILoggerFactory();
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    Logger root = logging.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Logger lobby = logging.getLogger("io.github.lobby");
    Level before = lobby.getLevel();
    root.addAppender(captured);
    lobby.setLevel(Level.DEBUG); // the debug lines too
    try (TestServer server = new TestServer("lobby.http.admin-token = \"\"\npekko.loglevel = DEBUG")) {
      String token = server.server.adminToken();
      assertTrue(token.length() >= 32, "a long random token");
      String wrong = token.substring(0, token.length() - 1) + (token.endsWith("A") ? "B" : "A");

      for (String[] route : ADMIN_ROUTES) {
        for (String auth : new String[] {"Bearer " + wrong, "Bearer " + token.toLowerCase(), "Bearer " + token + "x", "Basic " + token}) {
          HttpResponse<String> response = send(server, route, auth, "[{\"product_line_id\":1}]");
          assertEquals(401, response.statusCode(), auth);
          assertFalse(response.body().contains(wrong) || response.body().contains(token), response.body());
        }
        HttpResponse<String> ok = send(server, route, "Bearer " + token, "[{\"product_line_id\":\"bad\"}]");
        assertTrue(ok.statusCode() != 401 && ok.statusCode() < 500, ok.body());
        assertFalse(ok.body().contains(token));
      }
      JdkClient client = JdkClient.connect(server, "/x");
      client.send("hello " + wrong);
      client.next();
      client.close();
    } finally {
      root.detachAppender(captured);
      lobby.setLevel(before);
    }
    List<String> lines = new ArrayList<>();
    for (ILoggingEvent event : captured.list) {
      lines.add(event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : event.getThrowableProxy().getMessage()));
    }
    String token = lines.stream().filter(l -> l.contains("generated admin token")).findFirst().orElseThrow();
    String value = token.substring(token.lastIndexOf(' ') + 1);
    assertEquals(1, lines.stream().filter(l -> l.contains(value)).count(), "the token appears once: " + lines);
    String wrongish = value.substring(0, value.length() - 1);
    assertEquals(1, lines.stream().filter(l -> l.contains(wrongish)).count(), "no wrong token either");
  }

  private static HttpResponse<String> send(TestServer server, String[] route, String auth, String body) {
    return server.send(
        HttpRequest.newBuilder(server.uri(route[1]))
            .header("Content-Type", "application/json")
            .header("Authorization", auth)
            .method(route[0], route[0].equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)));
  }

  @Test
  void anOriginOutsideTheAllowListIs403AndBrowserlessClientsPass() throws Exception {
    try (TestServer server =
        new TestServer("lobby.http.allowed-origins = [\"https://chat.example.com\", \"http://127.0.0.1:8081\"]")) {
      try (RawClient evil = new RawClient(server.port(), "/r", "Origin: https://evil.example.com\r\n")) {
        assertEquals(403, evil.status(), evil.statusLine);
      }
      try (RawClient lookalike = new RawClient(server.port(), "/r", "Origin: https://chat.example.com.evil.net\r\n")) {
        assertEquals(403, lookalike.status());
      }
      try (RawClient nullOrigin = new RawClient(server.port(), "/r", "Origin: null\r\n")) {
        assertEquals(403, nullOrigin.status(), "sandboxed pages send Origin: null");
      }
      try (RawClient good = new RawClient(server.port(), "/r", "Origin: https://chat.example.com\r\n")) {
        assertTrue(good.upgraded(), good.statusLine);
      }
      try (RawClient cli = new RawClient(server.port(), "/r")) {
        assertTrue(cli.upgraded(), "no Origin: not a browser, not checked");
      }
      RawHttp.Answer refused =
          RawHttp.send(
              server.port(),
              ("GET /r HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                      + "Origin: https://evil.example.com\r\n\r\n")
                  .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      RequestValidationTest.assertJsonError(refused.head(), refused.body());
      assertTrue(refused.body().contains("\"forbidden\""));
    }
  }

  @Test
  void theConnectionLimitPerAddressIs429AndFreesUpWhenOneLeaves() throws Exception {
    try (TestServer server = new TestServer("lobby.http.max-connections-per-ip = 3")) {
      List<RawClient> open = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        RawClient c = new RawClient(server.port(), "/limited");
        assertTrue(c.upgraded());
        c.readFrame();
        open.add(c);
      }
      try (RawClient fourth = new RawClient(server.port(), "/limited")) {
        assertEquals(429, fourth.status(), fourth.statusLine);
      }
      open.remove(0).reset();
      server.awaitStats(new Lobby.Stats(2, 1, 3));
      try (RawClient again = new RawClient(server.port(), "/limited")) {
        assertTrue(again.upgraded(), again.statusLine);
      }
      for (RawClient c : open) {
        c.close();
      }
    }
  }

  @Test
  void aBurstOfSimultaneousUpgradesNeverExceedsMaxSessions() throws Exception {
    try (TestServer server = new TestServer("lobby.max-sessions = 5")) {
      ExecutorService pool = Executors.newFixedThreadPool(20);
      List<Future<RawClient>> attempts = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        attempts.add(pool.submit(() -> new RawClient(server.port(), "/burst")));
      }
      int inRoom = 0;
      List<RawClient> clients = new ArrayList<>();
      for (Future<RawClient> attempt : attempts) {
        RawClient c = attempt.get(20, TimeUnit.SECONDS);
        clients.add(c);
        if (!c.upgraded()) {
          assertEquals(503, c.status(), c.statusLine);
          continue;
        }
        RawClient.Frame first = c.readFrame();
        if (first.opcode() == 0x8) {
          assertEquals(1013, first.closeCode(), "admitted by the check, cut when the stream started");
        } else {
          inRoom++;
        }
      }
      pool.shutdown();
      assertTrue(inRoom <= 5, inRoom + " sessions in a server limited to 5");
      assertTrue(server.stats().sessions() <= 5);
      for (RawClient c : clients) {
        c.close();
      }
      server.awaitStats(new Lobby.Stats(0, 0, 0));
    }
  }
}
