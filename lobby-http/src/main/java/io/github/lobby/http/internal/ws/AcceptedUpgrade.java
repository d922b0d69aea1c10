package io.github.lobby.http.internal.ws;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.http.internal.deflate.PerMessageDeflate;
import java.net.InetAddress;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * What an accepted WebSocket upgrade asks for, whichever path accepted it: the description of one
 * connection, from which its {@link WsConnection} asks the Lobby for a session.
 *
 * @param room the room joined
 * @param mode the mode the client chose by its subprotocol
 * @param address the client's address, for the per-address limit; empty when unknown
 * @param auth how the upgrade was authenticated; empty when authentication is off
 * @param recovery what a reconnecting JSON-mode client asked for ({@code ?since=&epoch=}); empty
 *     otherwise
 * @param resume the session a JSON-mode client asked to resume ({@code ?resume=&key=}); empty
 *     otherwise (its key is a credential, which its text form hides)
 * @param deflate the permessage-deflate agreement, when the client offered it and the server
 *     accepted; empty otherwise
 */
public record AcceptedUpgrade(
    RoomId room,
    Mode mode,
    Optional<InetAddress> address,
    Optional<Authenticated> auth,
    Optional<Recovery> recovery,
    Optional<Resume> resume,
    Optional<PerMessageDeflate.Agreement> deflate) {

  /** An upgrade without compression. */
  public AcceptedUpgrade(
      RoomId room,
      Mode mode,
      Optional<InetAddress> address,
      Optional<Authenticated> auth,
      Optional<Recovery> recovery,
      Optional<Resume> resume) {
    this(room, mode, address, auth, recovery, resume, Optional.empty());
  }

  /** The Lobby's {@code Connect} for this connection. */
  Lobby.Connect connect(
      SessionId id, Transport transport, ActorRef<ActorRef<Session.Command>> replyTo) {
    return new Lobby.Connect(id, room, mode, transport, auth, recovery, resume, replyTo);
  }
}
