/**
 * The lean path, which {@code LobbyServer} binds: Pekko IO, one small actor per connection. {@link
 * io.github.lobby.http.internal.lean.LeanBinding} binds a {@link
 * io.github.lobby.http.internal.lean.LeanListener}, which makes a {@link
 * io.github.lobby.http.internal.lean.LeanConnection} per TCP connection: a message switch over its
 * {@link io.github.lobby.http.internal.lean.UpgradeGate} (the first request's {@link
 * io.github.lobby.http.internal.lean.UpgradeHead}, admission and authentication), the WebSocket's
 * {@link io.github.lobby.http.internal.lean.SocketWriter} (the write token), the {@link
 * io.github.lobby.http.internal.lean.HttpBridge} that hands every other request to Pekko HTTP, and
 * one {@link io.github.lobby.http.internal.lean.ConnectionTimer}. Every connection counts against
 * its address's limit from the accept, and its client's bytes pass the request-head guard ({@link
 * io.github.lobby.http.internal.guard.HeadWatch}) until it is a WebSocket. Not API.
 */
package io.github.lobby.http.internal.lean;
