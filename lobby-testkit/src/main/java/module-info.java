/**
 * What the tests of an application using Lobby need: {@code ProbeTransport} (a session driven by
 * test probes), {@code TestClient} (a real WebSocket client) and {@code LobbyServerExtension} (a
 * JUnit 5 extension running a server on a free port).
 */
// Pekko and Config are automatic modules, named by their manifests.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.lobby.testkit {
  // In the API: LobbyServer, the core protocol, Route (see lobby-http's module-info.java on
  // pekko-http, which is patched into pekko.http.core here as there) and JsonNode.
  requires transitive io.github.lobby.http;
  // In the API: ActorTestKit and TestProbe.
  requires transitive pekko.actor.testkit.typed;
  // In the API: the JUnit 5 extension callbacks.
  requires transitive org.junit.jupiter.api;
  // In the API: TestClient is a WebSocket.Listener of the JDK's client.
  requires transitive java.net.http;

  exports io.github.lobby.testkit;
}
