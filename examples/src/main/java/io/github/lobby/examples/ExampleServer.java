package io.github.lobby.examples;

import io.github.lobby.http.LobbyServer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runnable Lobby server: binds {@code lobby.http.host:port} (127.0.0.1:8081 unless {@code
 * LOBBY_HOST}, {@code LOBBY_PORT} or {@code -Dlobby.http.port=...} say otherwise) and stops
 * cleanly on Ctrl-C, closing every session with 1001. Serves the browser client at {@code GET /}.
 */
public final class ExampleServer {

  private static final Logger log = LoggerFactory.getLogger(ExampleServer.class);

  private ExampleServer() {}

  /** Starts the server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    // CoordinatedShutdown runs on the JVM shutdown hook (Ctrl-C, SIGTERM) and stops the server.
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "lobby");
    LobbyServer.start(system, system.settings().config(), WebClient.route())
        .whenComplete(
            (server, error) -> {
              if (error != null) {
                log.error("Could not start the Lobby server: {}", error.getMessage());
                system.terminate();
              }
            });
  }
}
