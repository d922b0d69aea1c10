package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Codecs;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The sessions of one node by id: written only by the {@link LobbyActor} (as sessions join and
 * leave), read by every session, so that a whisper goes from its sender straight to its target's
 * queue instead of through the Lobby's single mailbox, which stays free for joins, leaves and the
 * admin API.
 */
final class SessionDirectory {

  /**
   * A session as others reach it.
   *
   * @param user its user, or null when it is not authenticated
   * @param resumeKey the key its client may resume it with ({@code lobby.resumption}), or null when
   *     it cannot be resumed (resumption off, or classic mode)
   * @param refs the answers to its client's refs, kept across resumes; null when not resumable
   * @param previousKey the key its client last resumed it with, which also resumes it until the
   *     client comes back with {@code resumeKey} (the welcome that carried {@code resumeKey} may
   *     have been lost with its connection); null before the first resume
   */
  record Entry(
      ActorRef<SessionControl> ref,
      RoomId room,
      Mode mode,
      Transport transport,
      String user,
      ResumeKey resumeKey,
      SentRefs refs,
      ResumeKey previousKey) {
    /** An anonymous session that cannot be resumed. */
    Entry(ActorRef<SessionControl> ref, RoomId room, Mode mode, Transport transport) {
      this(ref, room, mode, transport, null, null, null, null);
    }
  }

  private final ConcurrentHashMap<SessionId, Entry> entries = new ConcurrentHashMap<>();

  /** The sessions of each authenticated user; a user's set is replaced, never changed in place. */
  private final ConcurrentHashMap<String, Set<SessionId>> byUser = new ConcurrentHashMap<>();

  private final Codecs codecs;
  private final LobbyMetrics metrics;

  SessionDirectory(Codecs codecs) {
    this(codecs, LobbyMetrics.NONE);
  }

  SessionDirectory(Codecs codecs, LobbyMetrics metrics) {
    this.codecs = codecs;
    this.metrics = metrics;
  }

  /** Any thread. */
  Entry get(SessionId id) {
    return entries.get(id);
  }

  /**
   * Delivers a whisper to a session of this node, rendered in the target's mode; any thread.
   *
   * @param room the sender's room, as the whisper event names it
   * @return false when there is no such session here
   */
  boolean whisper(SessionId from, SessionId to, RoomId room, Payload msg) {
    Entry target = entries.get(to);
    if (target == null) {
      return false;
    }
    tell(target, new ClientEvent.Whisper(from, to, room, msg));
    return true;
  }

  /**
   * Delivers a whisper to every session of a user on this node, each in its mode; any thread.
   *
   * @param room the sender's room, as the whisper event names it
   * @return how many sessions it was offered to
   */
  int whisperUser(SessionId from, String user, RoomId room, Payload msg) {
    Set<SessionId> ids = byUser.get(user);
    if (ids == null) {
      return 0;
    }
    int reached = 0;
    for (SessionId to : ids) {
      if (whisper(from, to, room, msg)) {
        reached++;
      }
    }
    return reached;
  }

  /** Tells one session an event, rendered in its mode; any thread. */
  void tell(Entry session, ClientEvent event) {
    Frame frame = Frame.render(event, codecs.of(session.mode()));
    Frames.deliver(session.transport(), session.ref(), frame, metrics);
  }

  // ---- the Lobby's side ----

  void put(SessionId id, Entry entry) {
    entries.put(id, entry);
    if (entry.user() != null) {
      byUser.compute(
          entry.user(),
          (user, ids) -> {
            Set<SessionId> more = ids == null ? new HashSet<>() : new HashSet<>(ids);
            more.add(id);
            return Set.copyOf(more);
          });
    }
  }

  Entry remove(SessionId id) {
    Entry entry = entries.remove(id);
    if (entry != null && entry.user() != null) {
      byUser.computeIfPresent(
          entry.user(),
          (user, ids) -> {
            Set<SessionId> fewer = new HashSet<>(ids);
            fewer.remove(id);
            return fewer.isEmpty() ? null : Set.copyOf(fewer);
          });
    }
    return entry;
  }

  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  Collection<Entry> values() {
    return entries.values();
  }
}
