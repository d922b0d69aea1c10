package io.github.lobby.core.internal;

import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.SessionId;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The sessions a Lobby keeps for their clients to resume ({@code lobby.resumption}): the keys they
 * are resumed with, and the sessions detached now, waiting for their client for the grace, the one
 * detached first first. At most {@code max-detached} wait at once.
 *
 * <p>Confined to the Lobby's actor, which keeps the grace timers and decides, as it decides every
 * join, whether a client resumes its session or the grace ends first.
 */
final class Resumption {

  private final LobbySettings.Resumption settings;

  /** Where resume keys come from; null when sessions are not resumed. */
  private final SecureRandom random;

  /** Sessions waiting for their clients, the one detached first first. */
  private final LinkedHashMap<SessionId, ActorRef<SessionControl>> detached = new LinkedHashMap<>();

  Resumption(LobbySettings.Resumption settings) {
    this.settings = settings;
    this.random = settings.on() ? new SecureRandom() : null;
  }

  /** How long a detached session waits for its client. */
  Duration grace() {
    return settings.grace();
  }

  /** The key of a new session of this mode, or null when it cannot be resumed (off, classic). */
  ResumeKey newKey(Mode mode) {
    return random != null && mode == Mode.JSON ? ResumeKey.random(random) : null;
  }

  /**
   * The answers to a resumable session's refs, which outlive its session actor (others' are the
   * actor's own); null for a session that cannot be resumed.
   */
  SentRefs newRefs(ResumeKey key) {
    return key != null ? new SentRefs(settings.refWindow()) : null;
  }

  /**
   * Whether a connection may take over the session its client asks for: the session is on this node
   * and resumable, the connection asks for its room in JSON mode, for the same user (or both
   * anonymous), with its key, or with the key it was last resumed with (whose welcome, carrying
   * the new key, may have been lost with its connection).
   *
   * @param session the session of that id here, or null
   * @param user the connection's user, or null
   */
  static boolean matches(
      SessionDirectory.Entry session, Lobby.Connect connect, Resume asked, String user) {
    return session != null
        && session.resumeKey() != null // not resumable: resumption off, or classic mode
        && connect.mode() == Mode.JSON
        && session.room().equals(connect.room())
        && Objects.equals(session.user(), user)
        && matchesEither(session, asked.key());
  }

  /** Compares with both keys, always both, so that the time taken tells nothing. */
  private static boolean matchesEither(SessionDirectory.Entry session, ResumeKey asked) {
    boolean current = session.resumeKey().matches(asked);
    boolean previous = session.previousKey() != null && session.previousKey().matches(asked);
    return current | previous;
  }

  /**
   * A session detached and waits for its client.
   *
   * @return the session that has waited longest when now too many wait (it is to end), or null
   */
  SessionId detach(SessionId id, ActorRef<SessionControl> session) {
    detached.put(id, session);
    return detached.size() > settings.maxDetached() ? detached.keySet().iterator().next() : null;
  }

  /** The actor of a detached session, or null when it is not detached. */
  ActorRef<SessionControl> detached(SessionId id) {
    return detached.get(id);
  }

  /** The session waits no more (resumed, or ended); returns whether it was detached. */
  boolean forget(SessionId id) {
    return detached.remove(id) != null;
  }

  /** Every session detached now. */
  List<SessionId> all() {
    return List.copyOf(detached.keySet());
  }
}
