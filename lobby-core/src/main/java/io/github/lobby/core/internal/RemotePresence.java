package io.github.lobby.core.internal;

import io.github.lobby.core.Federation;
import io.github.lobby.core.LeaveReason;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * The members a room has on other nodes ({@link Federation}), by node, each in join order, with
 * their users, as the rooms of the same name there report them ({@link PeerEvent}).
 *
 * <p>Delivery between nodes is at most once, so views can drift: a node's snapshot ({@link
 * PeerEvent.Members}) reconciles its members, a node that left takes its members along, and with a
 * {@link Federation.Link#memberLease() lease}, the members of a node that said nothing about the
 * room for longer leave (reason {@code error}): a node whose room emptied stops refreshing it, and
 * so do crashed nodes before they are downed. Every change is told to the local members through
 * {@link Changes}.
 *
 * <p>Confined to its room's actor.
 */
final class RemotePresence {

  /** Who is told of the members that come and go on other nodes. */
  interface Changes {
    /** A member of another node joined (its user, or null). */
    void joined(SessionId id, String user);

    /** A member of another node left. */
    void left(SessionId id, LeaveReason reason, String user);
  }

  private final RoomId room;
  private final Federation.Link peers;
  private final Logger log;
  private final LongSupplier nanoClock;

  /** Members on other nodes, by node, each in join order, with their users (null: none). */
  private final Map<String, LinkedHashMap<SessionId, String>> nodes = new LinkedHashMap<>();

  /** When each other node last told this room anything (System.nanoTime), for the lease. */
  private final Map<String, Long> heardFrom = new HashMap<>();

  /**
   * @param nanoClock a monotonic clock in nanoseconds, for the lease
   */
  RemotePresence(RoomId room, Federation.Link peers, Logger log, LongSupplier nanoClock) {
    this.room = room;
    this.peers = peers;
    this.log = log;
    this.nanoClock = nanoClock;
  }

  /** Whether no other node has members here. */
  boolean isEmpty() {
    return nodes.isEmpty();
  }

  /** Every member of the other nodes with its user (or null), node by node, in join order. */
  void forEach(BiConsumer<SessionId, String> member) {
    nodes.values().forEach(of -> of.forEach(member));
  }

  /** Another node told this room something, now. */
  void heard(String node) {
    heardFrom.put(node, nanoClock.getAsLong());
  }

  /**
   * A presence event of another node's room: a join, a leave, a snapshot of its members, or its
   * node's departure. Other events are not presence and are ignored here.
   */
  void onEvent(PeerEvent event, Changes changes) {
    if (event instanceof PeerEvent.Joined j) {
      LinkedHashMap<SessionId, String> of =
          nodes.computeIfAbsent(j.node(), n -> new LinkedHashMap<>());
      if (!of.containsKey(j.id())) {
        of.put(j.id(), j.user());
        changes.joined(j.id(), j.user());
      }
    } else if (event instanceof PeerEvent.Left l) {
      LinkedHashMap<SessionId, String> of = nodes.get(l.node());
      if (of != null && of.containsKey(l.id())) {
        changes.left(l.id(), l.reason(), of.remove(l.id()));
      }
    } else if (event instanceof PeerEvent.Members snapshot) {
      reconcile(snapshot.node(), snapshot.members(), snapshot.users(), changes);
    } else if (event instanceof PeerEvent.NodeGone gone) {
      forget(gone.node(), changes);
    }
  }

  /**
   * The members of nodes that said nothing about this room for longer than the federation's lease
   * leave; called at every heartbeat.
   */
  void expireSilent(Changes changes) {
    long lease = peers.memberLease().toNanos();
    if (lease <= 0 || nodes.isEmpty()) {
      return;
    }
    long now = nanoClock.getAsLong();
    for (String node : List.copyOf(nodes.keySet())) {
      Long heard = heardFrom.get(node);
      if (heard == null || now - heard > lease) {
        log.debug("No word from {} on room {}: its members expire", node, room);
        forget(node, changes);
      }
    }
  }

  /** A node's members are gone. */
  private void forget(String node, Changes changes) {
    reconcile(node, List.of(), Map.of(), changes);
    nodes.remove(node);
    heardFrom.remove(node);
  }

  /** Brings a node's members to {@code now}, telling who joined and who left (reason error). */
  private void reconcile(
      String node, List<SessionId> now, Map<SessionId, String> users, Changes changes) {
    if (now.isEmpty() && !nodes.containsKey(node)) {
      return; // nothing known of that node here: keep no empty entry for it
    }
    LinkedHashMap<SessionId, String> known =
        nodes.computeIfAbsent(node, n -> new LinkedHashMap<>());
    Set<SessionId> present = new HashSet<>(now); // snapshots come every few seconds: no n² scan
    for (Iterator<Map.Entry<SessionId, String>> it = known.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<SessionId, String> gone = it.next();
      if (!present.contains(gone.getKey())) {
        it.remove();
        changes.left(gone.getKey(), LeaveReason.ERROR, gone.getValue());
      }
    }
    for (SessionId id : now) {
      if (!known.containsKey(id)) {
        String user = users.get(id);
        known.put(id, user);
        changes.joined(id, user);
      }
    }
  }
}
