package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.SessionId;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The Lobby's part of whispers: those that leave this node, looked for or delivered on the other
 * nodes through the {@link Federation}, and those that other nodes deliver here. (A whisper between
 * sessions of this node goes from its sender to its target's queue, {@link WhisperDispatch}.)
 *
 * <p>Every whisper the Lobby handles is answered: {@code no_session} (or {@code no_user}) to the
 * sender's client when nobody got it, and {@link SessionControl.Processed#LOBBY} to the session
 * actor that asked, whose inbound window keeps a place until then; with a client reference, both as
 * one {@link SessionControl.Answered}, which that session actor remembers and sends on. The session
 * actor that asked is told, not one that resumed it since: its window is its own.
 *
 * <p>Confined to the Lobby's actor.
 */
final class WhisperRouter {

  private final SessionDirectory sessions;
  private final Federation.Whispers federation;
  private final LobbyMetrics metrics;

  WhisperRouter(SessionDirectory sessions, Federation.Whispers federation, LobbyMetrics metrics) {
    this.sessions = sessions;
    this.federation = federation;
    this.metrics = metrics;
  }

  /** A session whispers to a session that was not on this node when it looked. */
  void whisper(LobbyControl.Whisper whisper) {
    SessionDirectory.Entry sender = sessions.get(whisper.from());
    if (sender == null) {
      return; // the sender left meanwhile: nobody to answer
    }
    Optional<SessionId> targetId = SessionId.parse(whisper.to());
    if (targetId.isEmpty()) {
      metrics.whisper("no_session");
      answer(whisper.from(), whisper.session(), whisper.ref(), false, whisper.to(), null);
    } else if (sessions.whisper(whisper.from(), targetId.get(), sender.room(), whisper.msg())) {
      metrics.whisper("delivered");
      // it joined here meanwhile
      answer(whisper.from(), whisper.session(), whisper.ref(), true, whisper.to(), null);
    } else {
      metrics.whisper("remote");
      // Perhaps on another node. The answer carries the search, so that searches under way at the
      // same time cannot be confused; the sender hears when it has ended, so that one client has
      // no more searches under way than its inbound window.
      federation.find(
          new Lobby.WhisperSearch(
              whisper.from(),
              targetId.get(),
              whisper.to(),
              sender.room(),
              whisper.msg(),
              whisper.session(),
              whisper.ref()));
    }
  }

  /** A search on the other nodes ended. */
  void searched(Lobby.WhisperSearched searched) {
    Lobby.WhisperSearch search = searched.search();
    answer(
        search.from(),
        asker(search.session()),
        search.ref(),
        searched.found(),
        search.target(),
        null);
  }

  /** Another node's whisper for a session that may be here. */
  void deliver(Lobby.DeliverWhisper whisper) {
    whisper
        .replyTo()
        .tell(sessions.whisper(whisper.from(), whisper.to(), whisper.room(), whisper.msg()));
  }

  /**
   * A session whispers to a user while rooms span nodes: the federation delivers it on the other
   * nodes, if it can.
   */
  void whisperUser(LobbyControl.WhisperUser whisper) {
    SessionDirectory.Entry sender = sessions.get(whisper.from());
    if (sender == null) {
      return; // the sender left meanwhile: nobody to answer
    }
    Lobby.UserWhisper search =
        new Lobby.UserWhisper(
            whisper.from(),
            whisper.user(),
            sender.room(),
            whisper.msg(),
            whisper.local(),
            whisper.session(),
            whisper.ref());
    if (!federation.findUser(search)) {
      userWhispered(new Lobby.UserWhispered(search, 0));
    }
  }

  /** A whisper to a user ended on the other nodes. */
  void userWhispered(Lobby.UserWhispered done) {
    Lobby.UserWhisper whisper = done.whisper();
    boolean delivered = whisper.local() + done.delivered() > 0;
    metrics.whisper(delivered ? "delivered" : "no_session");
    answer(
        whisper.from(), asker(whisper.session()), whisper.ref(), delivered, null, whisper.user());
  }

  /** Another node's whisper for the sessions of a user that are here. */
  void deliverUser(Lobby.DeliverUserWhisper whisper) {
    whisper
        .replyTo()
        .tell(sessions.whisperUser(whisper.from(), whisper.user(), whisper.room(), whisper.msg()));
  }

  /**
   * Answers a whisper: {@code no_session} (or {@code no_user} when {@code user} is given) to the
   * sender's client when nobody got it, and {@link SessionControl.Processed#LOBBY} to the session
   * actor that asked; with a client reference, both as one {@link SessionControl.Answered}.
   */
  private void answer(
      SessionId from,
      ActorRef<SessionControl> session,
      String ref,
      boolean delivered,
      String target,
      String user) {
    if (ref == null) {
      if (!delivered) {
        tell(from, user != null ? new ClientEvent.NoUser(user) : new ClientEvent.NoSession(target));
      }
      session.tell(SessionControl.Processed.LOBBY);
      return;
    }
    ClientEvent answer =
        delivered
            ? new ClientEvent.Ack(ref, null)
            : user != null
                ? new ClientEvent.NoUser(user, ref)
                : new ClientEvent.NoSession(target, ref);
    session.tell(new SessionControl.Answered(SessionControl.Processed.LOBBY, ref, answer));
  }

  /** Tells one session of this node an event, in its mode. */
  private void tell(SessionId id, ClientEvent event) {
    SessionDirectory.Entry session = sessions.get(id);
    if (session != null) {
      sessions.tell(session, event);
    }
  }

  /**
   * The session actor a search carries: the Lobby put it there, as the session actor that asked,
   * which takes {@link SessionControl}; the federation holds it only as an {@code ActorRef<?>}.
   */
  @SuppressWarnings("unchecked")
  private static ActorRef<SessionControl> asker(ActorRef<?> session) {
    return (ActorRef<SessionControl>) session;
  }
}
