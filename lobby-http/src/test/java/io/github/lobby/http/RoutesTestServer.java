package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;

/**
 * A Lobby mounted the way an application embeds it: {@link LobbyRoutes#route()} in the test's own
 * Pekko HTTP binding on 127.0.0.1 and a free port, so that WebSocket connections take the
 * engine path ({@code EngineConnection} under Pekko HTTP's engine) rather than {@link
 * LobbyServer}'s lean one.
 */
final class RoutesTestServer implements AutoCloseable {

  final ActorSystem<Void> system;
  final LobbyRoutes routes;
  final ServerBinding binding;

  RoutesTestServer(String extraConfig) {
    this(extraConfig, null);
  }

  /** Routes whose upgrades {@code authenticator} decides (null: as configured). */
  RoutesTestServer(String extraConfig, io.github.lobby.core.auth.Authenticator authenticator) {
    Config config =
        ConfigFactory.parseString(extraConfig)
            .withFallback(
                ConfigFactory.parseString(
                    "lobby.http.admin-token = \""
                        + TestServer.TOKEN
                        + "\"\n"
                        + "pekko.loglevel = WARNING\n"
                        // the per-address limit needs the peer address of each request
                        + "pekko.http.server.remote-address-attribute = on\n"))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "routes-test", config);
    ActorRef<Lobby.Command> lobby =
        system.systemActorOf(
            Lobby.create(LobbySettings.fromConfig(config), LobbyRoutes.codecs(), Federation.NONE),
            "lobby",
            Props.empty());
    LobbyRoutes.Builder builder = LobbyRoutes.builder(system, lobby).config(config);
    if (authenticator != null) {
      builder.authenticator(authenticator);
    }
    routes = builder.build();
    binding =
        Http.get(system)
            .newServerAt("127.0.0.1", 0)
            .bind(routes.route())
            .toCompletableFuture()
            .join();
  }

  int port() {
    return binding.localAddress().getPort();
  }

  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }
}
