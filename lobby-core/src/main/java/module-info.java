/**
 * Lobby's core: the protocol, the Lobby and its sessions and rooms as Pekko typed actors, and the
 * ports ({@code Transport}, {@code WireCodec}, {@code Federation}, {@code Authenticator}) that the
 * modules above implement. No HTTP, no JSON library.
 *
 * <p>The API is {@code io.github.lobby.core} and {@code io.github.lobby.core.auth}. The actors and
 * the plain classes that do their work sit in {@code io.github.lobby.core.internal}, which only the
 * sibling modules that need it may read.
 */
// Pekko, Config and Micrometer have no module descriptor: they are automatic modules, named
// by their manifests (Automatic-Module-Name). The qualified export names modules built after this
// one.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic", "module"})
module io.github.lobby.core {
  // In the API: ActorRef, Behavior and ActorContext (Pekko typed), Done and ByteString (Pekko
  // actor), Config.
  requires transitive pekko.actor.typed;
  requires transitive pekko.actor;
  requires transitive typesafe.config;
  requires org.slf4j;
  // Optional: only LobbyMetrics.of(MeterRegistry) and the class it creates use Micrometer, so an
  // application without metrics needs none.
  requires static micrometer.core;

  exports io.github.lobby.core;
  exports io.github.lobby.core.auth;
  // LogText and AuthCalls for lobby-http, RoomHistory for lobby-cluster's sequencer.
  exports io.github.lobby.core.internal to
      io.github.lobby.http,
      io.github.lobby.cluster;

  // Federation.fromConfig finds lobby-cluster's federation, when lobby.cluster.enabled is on.
  uses io.github.lobby.core.Federation.Provider;
}
