/**
 * The RFC 6455 engine, shared by both connection paths and copied by neither: {@link
 * io.github.lobby.http.internal.ws.FrameDecoder} (every rule for what a client sends), {@link
 * io.github.lobby.http.internal.ws.FrameEncoder} (server frames on the wire), {@link
 * io.github.lobby.http.internal.ws.WsConnection} (one connection between a client and its session:
 * the close handshake, the inbound window, what goes out in which order), its {@link
 * io.github.lobby.http.internal.ws.SessionLink} to the session, the {@link
 * io.github.lobby.http.internal.ws.Outbox} that is the session's {@code Transport}, and the types
 * they speak: {@link io.github.lobby.http.internal.ws.WsFrame}, {@link
 * io.github.lobby.http.internal.ws.WsSignal}, {@link
 * io.github.lobby.http.internal.ws.AcceptedUpgrade} (what one connection asks for) and {@link
 * io.github.lobby.http.internal.ws.ConnectionContext} (what all of a server's share, with its
 * {@link io.github.lobby.http.internal.ws.Admission} limits). No sockets, no streams: each path's
 * glue moves the bytes and calls in on its one thread. Not API.
 */
package io.github.lobby.http.internal.ws;
