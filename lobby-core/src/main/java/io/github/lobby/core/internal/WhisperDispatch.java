package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.ClientRequest;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Where a session's whispers go: straight to the target's queue when the target is on this node
 * (through the {@link SessionDirectory}), else, when rooms span nodes, to the Lobby, which looks
 * for it on the other nodes and answers when the search has ended ({@link WhisperRouter}).
 *
 * <p>One per Lobby, shared by its sessions; it holds no state of its own, so any session's thread
 * may use it.
 */
final class WhisperDispatch {

  /** Where a whisper went. */
  enum Outcome {
    /** Delivered on this node. */
    DELIVERED,
    /** Nobody to deliver it to: no such session, or the user has none. */
    NOBODY,
    /** Handed to the Lobby, which answers the sender when it is done. */
    WITH_LOBBY
  }

  private final SessionDirectory directory;
  private final boolean federated;
  private final ActorRef<LobbyControl> lobby;
  private final LobbyMetrics metrics;

  /**
   * @param federated whether rooms span nodes: a whisper whose target is not here is looked for
   *     elsewhere
   * @param lobby where whispers that leave this node go
   */
  WhisperDispatch(
      SessionDirectory directory,
      boolean federated,
      ActorRef<LobbyControl> lobby,
      LobbyMetrics metrics) {
    this.directory = directory;
    this.federated = federated;
    this.lobby = lobby;
    this.metrics = metrics;
  }

  /**
   * A whisper ({@link ClientRequest.Whisper} or {@link ClientRequest.WhisperUser}) from {@code
   * from} in {@code room}.
   *
   * @param asker the sender's session actor, told by the Lobby when it is done
   */
  Outcome dispatch(
      SessionId from, RoomId room, ClientRequest whisper, ActorRef<SessionControl> asker) {
    if (whisper instanceof ClientRequest.WhisperUser toUser) {
      return whisperUser(from, room, toUser, asker);
    }
    return whisper(from, room, (ClientRequest.Whisper) whisper, asker);
  }

  /** The client's reference of a whisper, or null. */
  static String ref(ClientRequest whisper) {
    return whisper instanceof ClientRequest.WhisperUser toUser
        ? toUser.ref()
        : ((ClientRequest.Whisper) whisper).ref();
  }

  /** The answer to a whisper that reached nobody ({@link Outcome#NOBODY}). */
  static ClientEvent nobody(ClientRequest whisper) {
    if (whisper instanceof ClientRequest.WhisperUser toUser) {
      return new ClientEvent.NoUser(toUser.user(), toUser.ref());
    }
    ClientRequest.Whisper toSession = (ClientRequest.Whisper) whisper;
    return new ClientEvent.NoSession(toSession.to(), toSession.ref());
  }

  /**
   * A whisper to one session, from {@code from} in {@code room}.
   *
   * @param asker the sender's session actor, told by the Lobby when a search ends
   */
  Outcome whisper(
      SessionId from, RoomId room, ClientRequest.Whisper whisper, ActorRef<SessionControl> asker) {
    Optional<SessionId> target = SessionId.parse(whisper.to());
    if (target.isPresent() && directory.whisper(from, target.get(), room, whisper.msg())) {
      metrics.whisper("delivered");
      return Outcome.DELIVERED;
    } else if (target.isPresent() && federated) {
      // counted by the Lobby
      lobby.tell(new LobbyControl.Whisper(from, whisper.to(), whisper.msg(), asker, whisper.ref()));
      return Outcome.WITH_LOBBY;
    }
    metrics.whisper("no_session");
    return Outcome.NOBODY;
  }

  /**
   * A whisper to every session of a user: those of this node get it now; with other nodes, the
   * Lobby has the federation deliver it there and answers {@code no_user} when nobody got it.
   */
  Outcome whisperUser(
      SessionId from,
      RoomId room,
      ClientRequest.WhisperUser whisper,
      ActorRef<SessionControl> asker) {
    int local = directory.whisperUser(from, whisper.user(), room, whisper.msg());
    if (federated) {
      lobby.tell(
          new LobbyControl.WhisperUser(
              from, whisper.user(), whisper.msg(), local, asker, whisper.ref()));
      return Outcome.WITH_LOBBY;
    }
    metrics.whisper(local == 0 ? "no_session" : "delivered");
    return local == 0 ? Outcome.NOBODY : Outcome.DELIVERED;
  }
}
