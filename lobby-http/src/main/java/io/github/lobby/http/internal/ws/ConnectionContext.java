package io.github.lobby.http.internal.ws;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.deflate.Compression;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Scheduler;

/**
 * What every WebSocket connection of a server shares, on both paths: made once by the routes,
 * handed to each {@link WsConnection}.
 *
 * @param lobby where connections ask for their session
 * @param admission the connection limits, shared by the routes' checks and the connections
 * @param metrics where connections are counted
 * @param authenticator decides on every upgrade; empty when authentication is off
 * @param compression permessage-deflate: the negotiation, and the compressors all connections share
 */
public record ConnectionContext(
    ActorRef<Lobby.Command> lobby,
    Scheduler scheduler,
    LobbySettings settings,
    HttpSettings http,
    Admission admission,
    LobbyMetrics metrics,
    Optional<Authenticator> authenticator,
    Compression compression) {}
