/**
 * The engine path: a WebSocket under Pekko HTTP's own engine, for {@code LobbyRoutes} mounted in
 * a server the application binds itself. {@link
 * io.github.lobby.http.internal.engine.EngineFrames} is the one use of Pekko HTTP's internal frame
 * API; {@link io.github.lobby.http.internal.engine.EngineConnection} is the stage that joins the
 * engine's frames to the same {@code WsConnection} as the lean path. Not API.
 */
package io.github.lobby.http.internal.engine;
