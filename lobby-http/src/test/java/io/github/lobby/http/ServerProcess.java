package io.github.lobby.http;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A Lobby server in a process of its own, for tests of how the process stops: binds a free port
 * on 127.0.0.1, prints {@code PORT <n>} and runs until SIGTERM, which CoordinatedShutdown turns
 * into {@link LobbyServer#stop()}.
 */
final class ServerProcess {

  private ServerProcess() {}

  public static void main(String[] args) {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "lobby",
            ConfigFactory.parseString(
                    "lobby.http { host = 127.0.0.1, port = 0, admin-token = server-process-admin-token }\n"
                        + "pekko.loglevel = WARNING\n")
                .withFallback(ConfigFactory.load()));
    LobbyServer server = LobbyServer.builder(system).start().toCompletableFuture().join();
    System.out.println("PORT " + server.localAddress().getPort());
    System.out.flush();
  }
}
