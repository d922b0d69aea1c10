package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import io.github.lobby.testkit.TestClient;
import java.net.CookieManager;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The example server's browser client routes and the embedding example, over real sockets. */
class ExamplesTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Config PORT_0 =
      ConfigFactory.parseString("lobby.http.port = 0\nlobby.http.admin-token = examples-test-admin-token")
          .withFallback(ConfigFactory.load());

  private ActorSystem<?> system;

  @AfterEach
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private int exampleServer() throws Exception {
    return exampleServer(PORT_0);
  }

  private int exampleServer(Config config) throws Exception {
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "lobby", config);
    system = s;
    LobbyServer server =
        LobbyServer.builder(s)
            .config(config)
            .routes(WebClient.route(config))
            .start()
            .toCompletableFuture()
            .get();
    return server.localAddress().getPort();
  }

  @Test
  void thePageAndItsAssetsAreServedWithSecurityHeaders() throws Exception {
    int port = exampleServer();
    HttpResponse<String> page = Client.get(port, "/");
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElseThrow().startsWith("text/html"));
    assertTrue(page.body().contains("<script src=\"/assets/app.js\">"), page.body());
    assertEquals(
        "default-src 'self'; frame-ancestors 'none'",
        page.headers().firstValue("Content-Security-Policy").orElseThrow());

    HttpResponse<String> script = Client.get(port, "/assets/app.js");
    assertEquals(200, script.statusCode());
    assertTrue(script.headers().firstValue("Content-Type").orElseThrow().contains("javascript"));
    assertTrue(script.body().contains("lobby.v1.json"));
    HttpResponse<String> style = Client.get(port, "/assets/style.css");
    assertEquals(200, style.statusCode());
    assertTrue(style.headers().firstValue("Content-Type").orElseThrow().startsWith("text/css"));
  }

  @Test
  void theClientConfigurationTellsThePageWhetherTheServerWantsAToken() throws Exception {
    int port = exampleServer();
    HttpResponse<String> none = Client.get(port, "/client-config.json");
    assertEquals(200, none.statusCode());
    assertEquals("{\"auth\":\"none\"}", none.body());
    assertEquals("application/json", none.headers().firstValue("Content-Type").orElseThrow());
    assertEquals("no-store", none.headers().firstValue("Cache-Control").orElseThrow());
    assertEquals(
        "default-src 'self'; frame-ancestors 'none'",
        none.headers().firstValue("Content-Security-Policy").orElseThrow());
    // An upgrade to the same path is a room, as for any other name.
    TestClient member = Client.join(port, "client-config.json");
    assertEquals("client-config.json", JSON.readTree(member.next()).get("room_id").asText());
    member.close();
    stop();

    Config jwt =
        ConfigFactory.parseString(
                "lobby.auth.mode = jwt\n"
                    + "lobby.auth.jwt.secret = \"an example secret of at least 32 bytes\"")
            .withFallback(PORT_0);
    HttpResponse<String> token = Client.get(exampleServer(jwt), "/client-config.json");
    assertEquals("{\"auth\":\"jwt\"}", token.body());
  }

  @Test
  void unknownAssetsAre404AndTheLobbyRoutesStillAnswerEverythingElse() throws Exception {
    int port = exampleServer();
    HttpResponse<String> missing = Client.get(port, "/assets/nope.js");
    assertEquals(404, missing.statusCode());
    assertEquals("not_found", JSON.readTree(missing.body()).get("error").asText());
    HttpResponse<String> escape = Client.get(port, "/assets/../../application.conf");
    assertTrue(escape.statusCode() == 404 || escape.statusCode() == 400, escape.toString());

    // An upgrade to "/" is still the Lobby's 400: the empty path is no room.
    CompletionException refused =
        assertThrows(
            CompletionException.class,
            () ->
                Client.HTTP
                    .newWebSocketBuilder()
                    .buildAsync(URI.create("ws://127.0.0.1:" + port + "/"), new WebSocket.Listener() {})
                    .join());
    assertEquals(400, ((WebSocketHandshakeException) refused.getCause()).getResponse().statusCode());
    assertEquals(200, Client.get(port, "/health").statusCode());

    TestClient a = Client.join(port, "web");
    JsonNode welcome = JSON.readTree(a.next());
    assertEquals("welcome", welcome.get("type").asText());
    a.close();
  }

  @Test
  void theEmbeddingExampleServesItsOwnRouteAndPushesStatisticsToDailyNews() throws Exception {
    CompletableFuture<LobbyServer> started = new CompletableFuture<>();
    system =
        ActorSystem.create(
            EmbeddedExample.application(Duration.ofMillis(200), started), "my-app", PORT_0);
    int port = Client.await(started).localAddress().getPort();

    HttpResponse<String> hello = Client.get(port, "/hello");
    assertEquals(200, hello.statusCode());
    assertTrue(hello.body().startsWith("Hello from the application"));
    assertEquals(200, Client.get(port, "/").statusCode(), "the browser client comes along");

    // Signed in to the application, a client joins with its session cookie, as a browser does.
    HttpClient browser = HttpClient.newBuilder().cookieHandler(new CookieManager()).build();
    HttpResponse<String> signIn = Client.get(browser, port, "/sign-in?user=alice");
    assertEquals(303, signIn.statusCode());
    assertEquals("/#dailyNews", signIn.headers().firstValue("Location").orElseThrow());
    assertTrue(
        signIn.headers().firstValue("Set-Cookie").orElseThrow().startsWith("app_session="),
        signIn.headers().toString());
    TestClient reader =
        TestClient.connect(
            browser,
            URI.create("ws://127.0.0.1:" + port + "/dailyNews"),
            TestClient.JSON_SUBPROTOCOL);
    JsonNode welcome = JSON.readTree(reader.next());
    assertEquals("welcome", welcome.get("type").asText());
    assertEquals("alice", welcome.get("user").asText());
    assertEquals("alice", welcome.get("users").get(welcome.get("id").asText()).asText());
    JsonNode push = JSON.readTree(reader.next());
    assertEquals("message", push.get("type").asText());
    assertEquals("dailyNews", push.get("room_id").asText());
    assertEquals("00000000-0000-0000-0000-000000000000", push.get("id").asText());
    JsonNode records = push.get("msg");
    assertEquals(3, records.size());
    for (JsonNode record : records) {
      assertTrue(record.get("product_line_id").isInt(), record.toString());
      assertTrue(record.get("total_trx").isIntegralNumber(), record.toString());
      assertTrue(record.get("total_amount").isNumber(), record.toString());
    }
    // A second batch follows on the timer, with running totals that only grow.
    JsonNode next = JSON.readTree(reader.next()).get("msg");
    assertTrue(next.get(0).get("total_trx").asLong() > records.get(0).get("total_trx").asLong());
    reader.close();
  }

  @Test
  void theEmbeddingExampleRefusesUpgradesWithoutASignedInSession() throws Exception {
    CompletableFuture<LobbyServer> started = new CompletableFuture<>();
    system =
        ActorSystem.create(
            EmbeddedExample.application(Duration.ofMillis(200), started), "my-app", PORT_0);
    int port = Client.await(started).localAddress().getPort();

    for (String[] cookies :
        new String[][] {{}, {"Cookie: app_session=not-a-session"}, {"Cookie: theme=dark"}}) {
      Client.Answer refused = Client.refusedUpgrade(port, "/dailyNews", cookies);
      assertEquals(401, refused.status(), refused.head());
      assertTrue(
          refused.head().toLowerCase().contains("www-authenticate: bearer"), refused.head());
      JsonNode body = JSON.readTree(refused.body());
      assertEquals("unauthorized", body.get("error").asText());
      assertEquals("sign in to the application first", body.get("message").asText());
    }
    assertEquals(400, Client.get(port, "/sign-in").statusCode());
    assertEquals(400, Client.get(port, "/sign-in?user=%20").statusCode());
  }

  @Test
  void theDocumentedExcerptsAreTheCompiledExampleCode() throws Exception {
    String readme = "README.md";
    String embedding = "docs/EMBEDDING.md";
    String main = "src/main/java/io/github/lobby/examples/";
    String test = "src/test/java/io/github/lobby/examples/";
    for (String[] excerpt :
        new String[][] {
          {main + "EmbeddedExample.java", "guardian", embedding},
          {main + "StatisticsPublisher.java", "publish", embedding},
          {main + "SessionCookieAuthenticator.java", "authenticator", readme},
          {test + "StatisticsPublisherTest.java", "extension", embedding},
          {test + "StatisticsPublisherTest.java", "probe", embedding}
        }) {
      String code = region(Files.readAllLines(Path.of(excerpt[0])), excerpt[1]);
      assertTrue(
          Files.readString(Path.of("..", excerpt[2])).contains("```java\n" + code + "```"),
          excerpt[2] + " must show this part of " + excerpt[0] + " unchanged:\n" + code);
    }
  }

  /** The lines between "// README:begin name" and "// README:end", without common indentation. */
  private static String region(List<String> lines, String name) {
    int begin = 0;
    while (!lines.get(begin).strip().equals("// README:begin " + name)) {
      begin++;
    }
    List<String> body = new ArrayList<>();
    for (int i = begin + 1; !lines.get(i).strip().equals("// README:end"); i++) {
      body.add(lines.get(i));
    }
    int indent =
        body.stream()
            .filter(l -> !l.isBlank())
            .mapToInt(l -> l.length() - l.stripLeading().length())
            .min()
            .orElse(0);
    StringBuilder text = new StringBuilder();
    body.forEach(l -> text.append(l.isBlank() ? "" : l.substring(indent)).append('\n'));
    return text.toString();
  }
}
