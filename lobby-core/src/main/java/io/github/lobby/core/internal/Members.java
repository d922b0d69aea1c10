package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Codecs;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Mode;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.ResumeKey;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The members of one room on this node, in join order: their welcome, their heartbeat, and every
 * event offered to them. The member list also counts the room's members on other nodes ({@link
 * RemotePresence}), whose comings and goings this tells the local members.
 *
 * <p>An event is rendered at most once per mode and the same {@link Frame} object offered to every
 * member of that mode; the member list is rendered once per membership change and mode, and the
 * same frame answers every members request until the next change.
 *
 * <p>Confined to its room's actor.
 */
final class Members implements RemotePresence.Changes {

  /**
   * A member of this node: how to reach it.
   *
   * @param user its user, or null when it is not authenticated
   */
  record Member(Mode mode, Transport transport, ActorRef<SessionControl> session, String user) {}

  private final RoomId room;
  private final Codecs codecs;
  private final LobbyMetrics metrics;
  private final RemotePresence remote;
  private final Map<SessionId, Member> local = new LinkedHashMap<>();

  /** Members that joined since the last beat: their next beat is partial. */
  private final Set<SessionId> joinedSinceBeat = new HashSet<>();

  /** Whether the room has beaten at least once. */
  private boolean beaten;

  /** The rendered member list per mode, until the membership changes; null when not rendered. */
  private Frame membersClassic;

  private Frame membersJson;

  /** Whether any member, here or on another node, has a user: frames then carry users. */
  private int withUser;

  Members(RoomId room, Codecs codecs, LobbyMetrics metrics, RemotePresence remote) {
    this.room = room;
    this.codecs = codecs;
    this.metrics = metrics;
    this.remote = remote;
  }

  /** The member of this node with that id, or null. */
  Member get(SessionId id) {
    return local.get(id);
  }

  /** Whether this node has no member. */
  boolean isEmpty() {
    return local.isEmpty();
  }

  /** A session joins: the others are told (before it is a member, so not itself). */
  Member join(
      SessionId id, Mode mode, Transport transport, ActorRef<SessionControl> session, String user) {
    Member member = new Member(mode, transport, session, user);
    if (beaten || !local.isEmpty()) {
      // Its first interval is cut short; the room's first member starts with the timer.
      joinedSinceBeat.add(id);
    }
    fanOut(new ClientEvent.Joined(id, room, user));
    local.put(id, member);
    countUser(user, 1);
    changed();
    return member;
  }

  /**
   * A member's client resumed it on a new connection: it keeps its place in the join order, with
   * the new transport and session actor; nobody is told.
   *
   * @return the member as it is now, or null when there is no such member
   */
  Member reattach(SessionId id, Transport transport, ActorRef<SessionControl> session) {
    Member before = local.get(id);
    if (before == null) {
      return null;
    }
    Member member = new Member(before.mode(), transport, session, before.user());
    local.put(id, member); // keeps its place in the join order
    joinedSinceBeat.add(id); // its new session starts a new interval
    return member;
  }

  /**
   * A member leaves; the others are told why.
   *
   * @return the member that left, or null when there was none
   */
  Member leave(SessionId id, LeaveReason reason) {
    joinedSinceBeat.remove(id);
    Member left = local.remove(id);
    if (left != null) {
      countUser(left.user(), -1);
      changed();
      fanOut(new ClientEvent.Left(id, room, reason, left.user()));
    }
    return left;
  }

  /** Beats every member's heart: partially for those that joined since the last beat. */
  void beat() {
    for (Map.Entry<SessionId, Member> entry : local.entrySet()) {
      boolean partial = joinedSinceBeat.remove(entry.getKey());
      entry
          .getValue()
          .session()
          .tell(partial ? SessionControl.Heartbeat.PARTIAL : SessionControl.Heartbeat.FULL);
    }
    joinedSinceBeat.clear();
    beaten = true;
  }

  /**
   * Sends a member its welcome, then what it missed when it asked for a recovery that the room's
   * history can give.
   *
   * @param log the room's history, or null when it keeps none
   * @param asked the recovery its client asked for, or null
   * @param resumeKey for its welcome: the key to resume it with, or null
   * @param resumed for its welcome: whether its client resumed it, or null when it asked for none
   */
  void welcome(
      SessionId id,
      Member member,
      RoomLog log,
      Recovery asked,
      ResumeKey resumeKey,
      Boolean resumed) {
    // Recovery is a JSON-mode feature: a classic welcome could not say whether it succeeded.
    Recovery recovery = log == null || member.mode() != Mode.JSON ? null : asked;
    boolean recovered = recovery != null && log.recovers(recovery);
    send(
        member,
        new ClientEvent.Welcome(
            id,
            room,
            all(),
            users(),
            log == null ? null : log.epoch(),
            log == null ? null : log.lastOffset(),
            recovery == null ? null : recovered,
            resumeKey,
            resumed));
    if (recovered) {
      // In this same step, so before any live broadcast: what it missed, in order, once.
      // Each kept message is rendered once, however many clients recover it.
      for (Frame frame : log.replay(recovery.since(), room, codecs.json())) {
        deliver(member, frame);
      }
    }
  }

  /** Sends a member the member list, rendered once per membership change and mode. */
  void sendMembers(Member member) {
    deliver(member, membersFrame(member.mode()));
  }

  private Frame membersFrame(Mode mode) {
    if (mode == Mode.CLASSIC) {
      if (membersClassic == null) {
        membersClassic =
            Frame.render(new ClientEvent.Members(room, all(), users()), codecs.classic());
      }
      return membersClassic;
    }
    if (membersJson == null) {
      membersJson = Frame.render(new ClientEvent.Members(room, all(), users()), codecs.json());
    }
    return membersJson;
  }

  /** Every member of this node, as a snapshot for the other nodes. */
  PeerEvent.Members snapshot(String node) {
    Map<SessionId, String> users = new LinkedHashMap<>();
    local.forEach((id, member) -> putUser(users, id, member.user()));
    return new PeerEvent.Members(node, List.copyOf(local.keySet()), users);
  }

  @Override
  public void joined(SessionId id, String user) {
    countUser(user, 1);
    changed();
    fanOut(new ClientEvent.Joined(id, room, user));
  }

  @Override
  public void left(SessionId id, LeaveReason reason, String user) {
    countUser(user, -1);
    changed();
    fanOut(new ClientEvent.Left(id, room, reason, user));
  }

  /**
   * Offers one event to every member, rendering it at most once per mode: the same {@link Frame}
   * object goes to every member of a mode.
   *
   * @return how many members accepted it
   */
  int fanOut(ClientEvent event) {
    return fanOut(event, false);
  }

  /** Like {@link #fanOut(ClientEvent)}; with {@code jsonOnly}, to the JSON-mode members only. */
  int fanOut(ClientEvent event, boolean jsonOnly) {
    Frame classic = null;
    Frame json = null;
    int acceptedClassic = 0;
    int acceptedJson = 0;
    for (Member member : local.values()) {
      if (member.mode() == Mode.CLASSIC) {
        if (jsonOnly) {
          continue;
        }
        Frame frame = classic != null ? classic : (classic = Frame.render(event, codecs.classic()));
        if (Frames.offer(member.transport(), member.session(), frame)) {
          acceptedClassic++;
        }
      } else {
        Frame frame = json != null ? json : (json = Frame.render(event, codecs.json()));
        if (Frames.offer(member.transport(), member.session(), frame)) {
          acceptedJson++;
        }
      }
    }
    // Once per fan-out, not per recipient.
    if (acceptedClassic > 0) {
      metrics.delivered(acceptedClassic, classic.utf8().length());
    }
    if (acceptedJson > 0) {
      metrics.delivered(acceptedJson, json.utf8().length());
    }
    return acceptedClassic + acceptedJson;
  }

  /** Sends one member one event, in its mode. */
  void send(Member member, ClientEvent event) {
    deliver(member, Frame.render(event, codecs.of(member.mode())));
  }

  private void deliver(Member member, Frame frame) {
    Frames.deliver(member.transport(), member.session(), frame, metrics);
  }

  /** Call on every change to the members, here or on another node. */
  private void changed() {
    membersClassic = null;
    membersJson = null;
  }

  /** Members on other nodes first (they were there before this room started), then local ones. */
  private List<SessionId> all() {
    List<SessionId> all = new ArrayList<>();
    remote.forEach((id, user) -> all.add(id));
    all.addAll(local.keySet());
    return all;
  }

  /** The users of the members that have one, in the order of {@link #all()}. */
  private Map<SessionId, String> users() {
    if (withUser == 0) {
      return Map.of();
    }
    Map<SessionId, String> users = new LinkedHashMap<>();
    remote.forEach((id, user) -> putUser(users, id, user));
    local.forEach((id, member) -> putUser(users, id, member.user()));
    return users;
  }

  private static void putUser(Map<SessionId, String> users, SessionId id, String user) {
    if (user != null) {
      users.put(id, user);
    }
  }

  private void countUser(String user, int change) {
    if (user != null) {
      withUser += change;
    }
  }
}
