/**
 * Lobby over HTTP: {@code LobbyServer} and {@code LobbyRoutes} on Pekko HTTP, the WebSocket
 * connection layer, the admin API, authentication of upgrades and the JSON wire codecs.
 *
 * <p>The API is {@code io.github.lobby.http}, {@code io.github.lobby.http.auth} and {@code
 * io.github.lobby.http.codec}. The connection layer and the routes' parts ({@code
 * io.github.lobby.http.internal.*}) are exported to nobody.
 */
// Pekko, Scala and Micrometer are automatic modules, named by their manifests.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module io.github.lobby.http {
  requires transitive io.github.lobby.core;
  // In the API: Route and AllDirectives (pekko-http), HttpResponse, ServerSettings and
  // ParsingErrorHandler (pekko-http-core). The two jars share three packages
  // (org.apache.pekko.http.{javadsl,scaladsl,impl}.settings), so they cannot be two modules
  // (apache/pekko-http#733): this module is compiled against one, pekko.http.core, with pekko-http
  // patched into it (see this module's pom). An application on the module path merges them the
  // same way, with pekko-parsing, which shares org.apache.pekko.http.ccompat with pekko-http-core:
  // --patch-module pekko.http.core=<pekko-http jar>:<pekko-parsing jar>, with the pekko-http-core
  // and pekko-parsing jars on the class path as well: a module shows one reference.conf, the
  // class path shows the others.
  requires transitive pekko.http.core;
  requires pekko.stream;
  requires scala.library;
  requires org.slf4j;
  // In the API: WireJson.mapper() and the admin codecs' JsonNode.
  requires transitive com.fasterxml.jackson.databind;
  // In the API: JwtAuthenticator's algorithms, key selector and claims.
  requires transitive com.nimbusds.jose.jwt;
  // Optional, as in lobby-core: only an application that hands LobbyServer a registry needs it.
  requires static micrometer.core;

  exports io.github.lobby.http;
  exports io.github.lobby.http.auth;
  exports io.github.lobby.http.codec;

  // Jackson writes the wire records, which are package-private records of the codecs.
  opens io.github.lobby.http.codec to
      com.fasterxml.jackson.databind;
}
