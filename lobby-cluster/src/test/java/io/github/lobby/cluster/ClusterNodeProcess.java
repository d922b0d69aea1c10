package io.github.lobby.cluster;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A cluster node with a Lobby server in a process of its own, for {@link ClusterCrashTest} to kill:
 * joins the seed node given as the first argument, with the configuration (HOCON) given as the
 * second, binds a free port on 127.0.0.1, prints {@code PORT <n>} and runs until killed.
 */
final class ClusterNodeProcess {

  private ClusterNodeProcess() {}

  public static void main(String[] args) {
    ActorSystem<Void> system =
        ActorSystem.create(
            Behaviors.empty(),
            "lobby",
            ConfigFactory.parseString(
                    "pekko.cluster.seed-nodes = [\"" + args[0] + "\"]\n" + args[1])
                .withFallback(ConfigFactory.load()));
    LobbyServer server = LobbyServer.start(system).toCompletableFuture().join();
    System.out.println("PORT " + server.localAddress().getPort());
    System.out.flush();
  }
}
