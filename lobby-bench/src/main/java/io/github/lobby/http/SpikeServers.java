package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * What the two spike servers ({@link StreamsSpikeServer}, {@link NettySpikeServer}) share with each
 * other and with {@link LobbyServer}: the configuration, the Lobby, its routes and the
 * per-connection settings, so that every candidate is measured with the same ones.
 */
final class SpikeServers {

  /** Pekko's own logging through SLF4J, as in the example server's application.conf. */
  private static final String LOGGING =
      "pekko.loggers = [\"org.apache.pekko.event.slf4j.Slf4jLogger\"]\n"
          + "pekko.logging-filter = \"org.apache.pekko.event.slf4j.Slf4jLoggingFilter\"\n";

  private SpikeServers() {}

  /**
   * The Lobby and what its connections share, made as {@code LobbyServer.start} makes them (one
   * node, no routes of the application's own).
   */
  record Lobbied(
      HttpSettings http,
      ActorRef<Lobby.Command> lobby,
      LobbyRoutes routes,
      LeanConnection.Shared shared) {}

  /**
   * Spawns the Lobby as system actor {@code lobby} and builds its routes and connection settings.
   */
  static Lobbied setUp(ActorSystem<?> system, Config config, Class<?> logSource) {
    LobbySettings settings = LobbySettings.fromConfig(config);
    HttpSettings http = HttpSettings.fromConfig(config).withGeneratedAdminToken();
    ActorRef<Lobby.Command> lobby =
        system.systemActorOf(
            Lobby.create(settings, LobbyRoutes.codecs(), Federation.NONE), "lobby", Props.empty());
    LobbyRoutes routes = LobbyRoutes.create(system, lobby, settings, http);
    return new Lobbied(
        http,
        lobby,
        routes,
        LeanConnection.Shared.create(system, routes, routes.route(), logSource));
  }

  /**
   * Runs a spike server from {@code main}: loads the configuration (with Pekko logging through
   * SLF4J), starts an ActorSystem named {@code lobby} and {@code start}s the server in it; the
   * system ends if it cannot start.
   */
  static void run(String what, BiFunction<ActorSystem<?>, Config, CompletionStage<?>> start) {
    Config config =
        ConfigFactory.load(
            ConfigFactory.defaultApplication().withFallback(ConfigFactory.parseString(LOGGING)));
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby", config);
    start
        .apply(system, config)
        .whenComplete(
            (started, error) -> {
              if (error != null) {
                System.err.println("Could not start the " + what + ": " + error.getMessage());
                system.terminate();
              }
            });
  }
}
