/**
 * TLS on {@code LobbyServer}'s own listener: a Pekko Streams TCP binding whose connections go
 * through Pekko's TLS stage into Pekko HTTP's server layer with the route tree (WebSockets on the
 * routes' engine path), and the server certificate reloaded from disk when it changes.
 */
package io.github.lobby.http.internal.tls;
