package io.github.lobby.examples;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.path;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.RoomId;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.LobbyServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An application that embeds Lobby: its own ActorSystem, its own route ({@code GET /hello})
 * served next to the Lobby's, and its own actor ({@link StatisticsPublisher}) pushing the daily
 * statistics to the {@code dailyNews} room every few seconds, without going through HTTP.
 *
 * <p>Run it with {@code java -cp examples/target/lobby-example-server.jar
 * io.github.lobby.examples.EmbeddedExample}, then open {@code http://127.0.0.1:8081/#dailyNews}
 * (the browser client comes along as one more route of this application).
 */
public final class EmbeddedExample {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedExample.class);

  /** How often the statistics are pushed. */
  public static final Duration EVERY = Duration.ofSeconds(3);

  private EmbeddedExample() {}

  public static void main(String[] args) {
    ActorSystem.create(application(EVERY, new CompletableFuture<>()), "my-app");
  }

  /** What the guardian is told once the server is up, or could not start. */
  record Started(LobbyServer server, Throwable error) {}

  /**
   * The application's guardian: starts the Lobby server with the application's routes, then
   * spawns the statistics publisher next to it.
   *
   * @param every how often statistics are pushed
   * @param started completed with the running server (for callers that want its address)
   */
  public static Behavior<Started> application(
      Duration every, CompletableFuture<LobbyServer> started) {
    return Behaviors.setup(
        context -> {
          // README:begin guardian
          ActorSystem<Void> system = context.getSystem();
          Route own =
              path("hello", () -> get(() -> complete("Hello from the application around Lobby\n")));
          context.pipeToSelf(
              LobbyServer.start(system, system.settings().config(), concat(own, WebClient.route(system.settings().config()))),
              Started::new);
          RoomId room = new RoomId(HttpSettings.fromConfig(system.settings().config()).statisticsRoom());
          return Behaviors.receive(Started.class)
              .onMessage(
                  Started.class,
                  s -> {
                    if (s.error() != null) {
                      log.error("Could not start: {}", s.error().getMessage());
                      started.completeExceptionally(s.error());
                      return Behaviors.stopped();
                    }
                    // Publish, look rooms up, read counts: what an application may send.
                    ActorRef<Lobby.AdminCommand> lobby = s.server().lobby();
                    context.spawn(StatisticsPublisher.create(lobby, room, every), "statistics");
                    started.complete(s.server());
                    return Behaviors.empty();
                  })
              .build();
          // README:end
        });
  }
}
