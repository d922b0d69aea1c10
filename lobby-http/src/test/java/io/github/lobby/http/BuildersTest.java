package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.auth.JwtAuthenticator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.Test;

/** What LobbyServer's and LobbyRoutes' builders take by default, and what they check first. */
class BuildersTest {

  static final String SECRET = "lobby.auth.jwt.secret = \"0123456789abcdef0123456789abcdef\"";

  static Config config(String hocon) {
    return ConfigFactory.parseString(hocon + "\npekko.loglevel = WARNING")
        .withFallback(ConfigFactory.parseString("lobby.auth.jwt.secret = \"\""))
        .withFallback(ConfigFactory.load())
        .resolve();
  }

  static void with(Config config, Consumer<ActorSystem<Void>> test) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "builders", config);
    try {
      test.accept(system);
    } finally {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  @Test
  void routesReadTheSystemsConfigurationByDefault() {
    with(
        config("lobby.http.max-body = 2 KiB\nlobby.auth.mode = jwt\n" + SECRET),
        system -> {
          LobbyRoutes routes = LobbyRoutes.builder(system, system.ignoreRef()).build();
          assertEquals(2048, routes.httpSettings().maxBody());
          assertTrue(routes.httpSettings().adminTokenGenerated(), "no token configured");
          assertInstanceOf(
              JwtAuthenticator.class,
              routes.context().authenticator().orElseThrow(),
              "the authenticator lobby.auth configures");
        });
  }

  @Test
  void whatIsGivenToTheRoutesBuilderWinsOverTheConfiguration() {
    Authenticator nobody =
        request -> CompletableFuture.completedFuture(AuthResult.Refusal.forbidden("nobody"));
    with(
        config("lobby.auth.mode = jwt\n" + SECRET),
        system -> {
          HttpSettings http = HttpSettings.fromConfig(config("lobby.http.admin-token = given-admin-token"));
          LobbyRoutes routes =
              LobbyRoutes.builder(system, system.ignoreRef())
                  .config(config("lobby.http.max-body = 3 KiB"))
                  .httpSettings(http)
                  .authenticator(nobody)
                  .build();
          assertEquals("given-admin-token", routes.httpSettings().adminToken());
          assertEquals(nobody, routes.context().authenticator().orElseThrow());
        });
  }

  @Test
  void aServerWhoseConfigurationFailsItsChecksLeavesNothingBehind() {
    with(
        config("lobby.http { host = 127.0.0.1, port = 0 }"),
        system -> {
          assertThrows(
              ConfigException.class,
              () ->
                  LobbyServer.builder(system)
                      .config(config("lobby.http.port = 0\nlobby.auth.mode = jwt"))
                      .start());
          // No Lobby actor was spawned: the next start on the same system may name its own.
          LobbyServer server =
              join(LobbyServer.builder(system).start().toCompletableFuture());
          assertTrue(server.localAddress().getPort() > 0);
          join(server.stop().toCompletableFuture());
        });
  }

  @Test
  void theBuildersRefuseNullsRatherThanGuessWhatTheyMean() {
    with(
        config(""),
        system -> {
          assertThrows(NullPointerException.class, () -> LobbyServer.builder(system).routes(null));
          assertThrows(
              NullPointerException.class, () -> LobbyServer.builder(system).authenticator(null));
          assertThrows(
              NullPointerException.class,
              () -> LobbyRoutes.builder(system, system.ignoreRef()).metricsRoute(null));
        });
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
