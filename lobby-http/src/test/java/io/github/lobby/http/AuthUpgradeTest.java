package io.github.lobby.http;

import static io.github.lobby.http.JsonFrames.json;
import static io.github.lobby.http.JsonFrames.next;
import static io.github.lobby.http.JsonFrames.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.auth.Principal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The upgrade decided by an {@link Authenticator}, over real sockets, on both connection paths:
 * {@link LobbyServer}'s lean path and {@link LobbyRoutes} under the application's own Pekko HTTP
 * binding. The authenticator is a plain implementation of the SPI with fixed credentials.
 */
class AuthUpgradeTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Credentials: {@code alice}, {@code alice-2} (alice again), {@code reader} (may not publish),
   * {@code brief} (expires in one second), {@code slow} (decided 300 ms later, on another thread),
   * {@code boom} (the authenticator throws), {@code null} (it answers null). Room {@code secret}
   * is refused to everybody (403); no credential gets 401.
   */
  static final class FixedCredentials implements Authenticator {
    @Override
    public CompletionStage<AuthResult> authenticate(ConnectRequest request) {
      if (request.room().value().equals("secret")) {
        return done(AuthResult.Refusal.forbidden("this token does not allow room secret"));
      }
      Optional<String> token = request.bearerToken();
      if (token.isEmpty()) {
        return done(AuthResult.Refusal.unauthorized("a token is required"));
      }
      return switch (token.get()) {
        case "boom" -> throw new IllegalStateException("failed on boom");
        case "null" -> done(null);
        case "hang" -> new CompletableFuture<>(); // never decides
        case "slow" ->
            CompletableFuture.supplyAsync(
                () -> AuthResult.Grant.of(Principal.of("sloth")),
                CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
        default -> grant(token.get());
      };
    }

    @Override
    public CompletionStage<AuthResult> refresh(Principal current, RoomId room, String token) {
      return grant(token);
    }

    private static CompletionStage<AuthResult> grant(String token) {
      return switch (token) {
        case "alice", "alice-2" -> done(AuthResult.Grant.of(Principal.of("alice")));
        case "alice-later" ->
            done(
                new AuthResult.Grant(
                    Principal.of("alice"), true, Optional.of(Instant.parse("2999-01-01T00:00:00Z"))));
        case "reader" -> done(new AuthResult.Grant(Principal.of("reader"), false, Optional.empty()));
        case "brief" ->
            done(
                new AuthResult.Grant(
                    Principal.of("brief"), true, Optional.of(Instant.now().plusSeconds(1))));
        default -> done(AuthResult.Refusal.unauthorized("the token is not valid"));
      };
    }

    private static CompletionStage<AuthResult> done(AuthResult result) {
      return CompletableFuture.completedFuture(result);
    }
  }

  private static final TestServer LEAN = new TestServer("", new FixedCredentials());
  private static final RoutesTestServer ROUTES = new RoutesTestServer("", new FixedCredentials());

  @AfterAll
  static void stop() {
    LEAN.close();
    ROUTES.close();
  }

  static Stream<Arguments> paths() {
    return Stream.of(Arguments.of("lean", LEAN.port()), Arguments.of("routes", ROUTES.port()));
  }

  private static RawHttp.Answer upgrade(int port, String target, String extraHeaders)
      throws Exception {
    return RawHttp.upgrade(port, target, extraHeaders);
  }

  private static void assertError(RawHttp.Answer answer, int status, String code, String message)
      throws Exception {
    assertEquals(status, answer.status(), answer.head());
    JsonNode body = JSON.readTree(answer.body());
    assertEquals(code, body.get("error").asText());
    assertEquals(message, body.get("message").asText());
    assertTrue(answer.head().toLowerCase().contains("content-type: application/json"), answer.head());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void noCredentialIs401WithABearerChallenge(String path, int port) throws Exception {
    RawHttp.Answer answer = upgrade(port, "/lounge", "");
    assertError(answer, 401, "unauthorized", "a token is required");
    assertTrue(answer.head().toLowerCase().contains("www-authenticate: bearer"), answer.head());
    assertError(upgrade(port, "/lounge?token=wrong", ""), 401, "unauthorized", "the token is not valid");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aRoomTheCredentialDoesNotAllowIs403(String path, int port) throws Exception {
    RawHttp.Answer answer = upgrade(port, "/secret?token=alice", "");
    assertError(answer, 403, "forbidden", "this token does not allow room secret");
    assertFalse(answer.head().toLowerCase().contains("www-authenticate"), answer.head());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aFailingAuthenticatorIs500AndTheServerGoesOn(String path, int port) throws Exception {
    assertError(upgrade(port, "/lounge?token=boom", ""), 500, "internal_error", "authentication failed");
    assertError(upgrade(port, "/lounge?token=null", ""), 500, "internal_error", "authentication failed");
    JdkClient ok = json(port, "/lounge?token=alice");
    assertEquals("welcome", JSON.readTree(ok.next()).get("type").asText());
    ok.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aGrantedSessionCarriesItsUserFromTheQueryOrTheHeader(String path, int port)
      throws Exception {
    String room = "/presence-" + path;
    JdkClient alice = json(port, room + "?token=alice");
    JsonNode welcome = JSON.readTree(alice.next());
    String aliceId = welcome.get("id").asText();
    assertEquals("alice", welcome.get("user").asText());
    assertEquals(Map.of(aliceId, "alice"), JSON.convertValue(welcome.get("users"), Map.class));

    WebSocket.Builder builder =
        HttpClient.newHttpClient().newWebSocketBuilder().header("Authorization", "Bearer reader");
    JdkClient reader = new JdkClient(builder, URI.create("ws://127.0.0.1:" + port + room), "lobby.v1.json");
    JsonNode readerWelcome = JSON.readTree(reader.next());
    assertEquals("reader", readerWelcome.get("user").asText());
    JsonNode joined = JSON.readTree(alice.next());
    assertEquals("joined", joined.get("type").asText());
    assertEquals("reader", joined.get("user").asText());

    // The reader may not broadcast: an error frame, nothing reaches alice.
    reader.send("{\"type\":\"message\",\"msg\":\"hi\"}");
    JsonNode error = JSON.readTree(reader.next());
    assertEquals("forbidden", error.get("code").asText());
    alice.expectNothing();

    // Whisper to a user: alice's second session gets it too.
    JdkClient alice2 = json(port, room + "?token=alice-2");
    String alice2Id = JSON.readTree(alice2.next()).get("id").asText();
    alice.next();
    reader.next();

    // The admin API lists the users.
    java.net.http.HttpResponse<String> view =
        HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/rooms" + room))
                    .header("Authorization", "Bearer " + TestServer.TOKEN)
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertEquals(200, view.statusCode(), view.body());
    assertEquals(
        Map.of(aliceId, "alice", readerWelcome.get("id").asText(), "reader", alice2Id, "alice"),
        JSON.convertValue(JSON.readTree(view.body()).get("users"), Map.class));
    reader.send("{\"type\":\"whisper\",\"user\":\"alice\",\"msg\":\"psst\"}");
    assertEquals("psst", JSON.readTree(alice.next()).get("msg").asText());
    assertEquals("psst", JSON.readTree(alice2.next()).get("msg").asText());
    reader.send("{\"type\":\"whisper\",\"user\":\"nobody\",\"msg\":\"psst\"}");
    assertEquals("no_user", JSON.readTree(reader.next()).get("code").asText());

    reader.close();
    JsonNode left = JSON.readTree(alice.next());
    assertEquals("left", left.get("type").asText());
    assertEquals("reader", left.get("user").asText());
    alice.close();
    alice2.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void anAuthenticatorThatAnswersLaterIsWaitedFor(String path, int port) throws Exception {
    JdkClient sloth = json(port, "/slow-" + path + "?token=slow");
    assertEquals("sloth", JSON.readTree(sloth.next()).get("user").asText());
    sloth.close();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("paths")
  void aSessionIsClosedWith4001AtExpiryUnlessRefreshed(String path, int port) throws Exception {
    JdkClient brief = json(port, "/expiry-" + path + "?token=brief");
    brief.next();
    assertEquals(4001, brief.awaitClose(Duration.ofSeconds(10)));

    JdkClient alice = json(port, "/expiry-" + path + "?token=alice");
    alice.next();
    alice.send("{\"type\":\"refresh\",\"token\":\"alice-later\"}");
    JsonNode refreshed = JSON.readTree(alice.next());
    assertEquals("refreshed", refreshed.get("type").asText());
    assertEquals("2999-01-01T00:00:00Z", refreshed.get("expires_at").asText());
    alice.send("{\"type\":\"refresh\",\"token\":\"reader\"}");
    JsonNode other = JSON.readTree(alice.next());
    assertEquals("error", other.get("type").asText());
    assertEquals("forbidden", other.get("code").asText());
    alice.close();
  }

  /**
   * Upgrades waiting for the authenticator hold their place under the per-address limit, and one
   * that never decides is answered 500 at {@code ask-timeout}, giving its place back.
   */
  @org.junit.jupiter.api.Test
  void upgradesWaitingForTheAuthenticatorCountAgainstTheLimitsAndTimeOut() throws Exception {
    try (TestServer server =
        new TestServer(
            "lobby.http { max-connections-per-ip = 2, ask-timeout = 2s }", new FixedCredentials())) {
      CompletableFuture<RawHttp.Answer> hung1 =
          CompletableFuture.supplyAsync(() -> quietly(() -> upgrade(server.port(), "/r?token=hang", "")));
      CompletableFuture<RawHttp.Answer> hung2 =
          CompletableFuture.supplyAsync(() -> quietly(() -> upgrade(server.port(), "/r?token=hang", "")));
      Thread.sleep(500); // both are waiting for the authenticator now
      RawHttp.Answer third = upgrade(server.port(), "/r?token=alice", "");
      assertEquals(429, third.status(), third.head());
      assertError(hung1.get(10, TimeUnit.SECONDS), 500, "internal_error", "authentication failed");
      assertError(hung2.get(10, TimeUnit.SECONDS), 500, "internal_error", "authentication failed");
      JdkClient alice = json(server.port(), "/r?token=alice");
      assertEquals("alice", JSON.readTree(alice.next()).get("user").asText());
      alice.close();
    }
  }

  @org.junit.jupiter.api.Test
  void routesCreatedWithoutAnAuthenticatorRefuseASystemConfiguredForAuthentication() {
    com.typesafe.config.Config config =
        com.typesafe.config.ConfigFactory.parseString("lobby.auth.mode = jwt\npekko.loglevel = OFF")
            .withFallback(com.typesafe.config.ConfigFactory.load());
    org.apache.pekko.actor.typed.ActorSystem<Void> system =
        org.apache.pekko.actor.typed.ActorSystem.create(
            org.apache.pekko.actor.typed.javadsl.Behaviors.empty(), "no-auth-routes", config);
    try {
      com.typesafe.config.ConfigException.BadValue e =
          org.junit.jupiter.api.Assertions.assertThrows(
              com.typesafe.config.ConfigException.BadValue.class,
              () ->
                  LobbyRoutes.builder(system, system.ignoreRef())
                      .settings(
                          io.github.lobby.core.LobbySettings.fromConfig(
                              com.typesafe.config.ConfigFactory.load()))
                      .httpSettings(
                          HttpSettings.fromConfig(com.typesafe.config.ConfigFactory.load()))
                      .build());
      assertTrue(e.getMessage().contains("lobby.auth.mode"), e.getMessage());
    } finally {
      system.terminate();
    }
  }

  private interface Call<T> {
    T call() throws Exception;
  }

  private static <T> T quietly(Call<T> call) {
    try {
      return call.call();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

}
