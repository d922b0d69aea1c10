/**
 * The parts of {@code LobbyRoutes}: {@link io.github.lobby.http.internal.routes.RoomRoutes} ({@code
 * GET /{room}}), {@link io.github.lobby.http.internal.routes.AdminRoutes} (the admin API and the
 * health checks), {@link io.github.lobby.http.internal.routes.HttpErrors} (every error answer), and
 * the checks of an upgrade that the lean path shares with the room route so that both take and
 * refuse the same requests: {@link io.github.lobby.http.internal.routes.RecoveryQuery} and {@link
 * io.github.lobby.http.internal.routes.UpgradeAuth}. Not API.
 */
package io.github.lobby.http.internal.routes;
