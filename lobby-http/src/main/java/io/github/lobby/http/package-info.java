/**
 * The API of lobby-http: {@link io.github.lobby.http.LobbyServer} (a server that binds, serves
 * and stops itself), {@link io.github.lobby.http.LobbyRoutes} (the routes, to mount in a server of
 * your own), {@link io.github.lobby.http.HttpSettings} and {@link
 * io.github.lobby.http.JsonParsingErrorHandler}; authentication in {@code auth}, the wire codecs
 * in {@code codec}. What lies under {@code io.github.lobby.http.internal} is not API: the
 * connection layer ({@code internal.ws}, shared by the lean path in {@code internal.lean} and the
 * engine path in {@code internal.engine}) and the routes' parts ({@code internal.routes}).
 */
package io.github.lobby.http;
