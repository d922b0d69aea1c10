package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.KeptMessage;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.Payload;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * How a room's broadcasts reach its members when a history spans nodes ({@link
 * Federation.Link#sequenced()}): the room hands each broadcast to its sequencer rather than fanning
 * it out, and fans out what the sequencer sends back, in the sequencer's order and with its
 * offsets, on every node alike. Its sender's message is acknowledged when it comes back, so the
 * inbound window still bounds what waits.
 *
 * <p>Delivery between nodes is at most once. A gap in the offsets makes the room ask for the
 * history again and deliver what it missed; another epoch means the history was lost: JSON members
 * are told ({@link ClientEvent.HistoryReset}), and the broadcasts that had not come back are sent
 * to the new sequencer. A sync or a leave waits for the room's broadcasts sent before it to come
 * back ({@link #defer}), so that a member's broadcasts go out before its close and before its room
 * is told it left.
 *
 * <p>Confined to its room's actor.
 */
final class SequencedDelivery {

  /**
   * A broadcast of this room sent to the sequencer: the member's broadcast to acknowledge, or the
   * admin publish to answer, when it comes back.
   */
  private record Pending(long seq, Room.Broadcast broadcast, Room.Publish publish) {
    SessionId from() {
      return broadcast != null ? broadcast.from() : publish.serverId();
    }

    Payload msg() {
      return broadcast != null ? broadcast.msg() : publish.msg();
    }
  }

  /** A command handled once the broadcasts up to {@code after} have come back. */
  private record Deferred(long after, Room.Command command) {}

  private final RoomId room;
  private final Federation.Link peers;
  private final RoomLog log;
  private final Members members;
  private final LobbyMetrics metrics;
  private final Logger logger;

  /** Handles a leave once its turn came. */
  private final Consumer<Room.Leave> leave;

  /** This room's broadcasts sent to the sequencer and not back yet, in the order sent. */
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();

  private long lastSeq;

  /** Whether the room asked the sequencer for its history again after a gap. */
  private boolean resyncing;

  /** Syncs and leaves that wait for this room's broadcasts sent before them; on demand. */
  private ArrayDeque<Deferred> deferred;

  SequencedDelivery(
      RoomId room,
      Federation.Link peers,
      RoomLog log,
      Members members,
      LobbyMetrics metrics,
      Logger logger,
      Consumer<Room.Leave> leave) {
    this.room = room;
    this.peers = peers;
    this.log = log;
    this.members = members;
    this.metrics = metrics;
    this.logger = logger;
    this.leave = leave;
  }

  /** A member's broadcast: fanned out, and its sender acknowledged, when it comes back. */
  void broadcast(Room.Broadcast broadcast) {
    toSequencer(new Pending(++lastSeq, broadcast, null));
  }

  /** An admin publish: fanned out, and answered, when it comes back. */
  void publish(Room.Publish publish) {
    toSequencer(new Pending(++lastSeq, null, publish));
  }

  /**
   * Defers a {@link Room.Sync} or {@link Room.Leave} until this room's broadcasts sent before it
   * have come back; returns whether it did (false: nothing is under way, handle it now).
   */
  boolean defer(Room.Command command) {
    if (pending.isEmpty()) {
      return false;
    }
    if (deferred == null) {
      deferred = new ArrayDeque<>();
    }
    deferred.addLast(new Deferred(lastSeq, command));
    return true;
  }

  /** A broadcast numbered by the sequencer: fanned out here if it is the next one. */
  void onSequenced(PeerEvent.Sequenced s) {
    if (!s.epoch().equals(log.epoch())) {
      return; // from a sequencer that was replaced: what this room sent it is sent again
    }
    boolean ours = s.node().equals(peers.node());
    if (log.isNext(s.offset()) && !resyncing) {
      log.append(s.offset(), s.from(), s.msg());
      int accepted = members.fanOut(new ClientEvent.Message(s.from(), room, s.msg(), s.offset()));
      if (ours) {
        done(s.seq(), accepted, s.offset());
      } else {
        metrics.peerEvent("Sequenced");
      }
    } else if (s.offset() > log.lastOffset()) {
      // Something between the sequencer and this node was lost: its history has it.
      if (!resyncing) {
        logger.debug(
            "Room {} missed offsets {} to {}: asks for the history",
            room,
            log.lastOffset() + 1,
            s.offset() - 1);
        resyncing = true;
        peers.resync();
      }
      if (ours) {
        done(s.seq(), 0, s.offset()); // delivered with the history
      }
    }
    // An offset already had: the history asked for after a gap brought it.
  }

  /**
   * The sequencer's history: the first one starts the room; after a gap it brings what this node
   * missed; with another epoch, the history this room had was lost.
   */
  void onHistory(PeerEvent.History h) {
    resyncing = false;
    if (log.epoch() == null) {
      log.adopt(h.epoch(), h.offset(), h.kept());
      return;
    }
    boolean newEpoch = !h.epoch().equals(log.epoch());
    long seen = newEpoch ? 0 : log.lastOffset(); // what the members here already got
    List<KeptMessage> missed = new ArrayList<>();
    for (KeptMessage kept : h.kept()) {
      if (kept.offset() > seen) {
        missed.add(kept);
      }
    }
    boolean unbroken =
        h.offset() <= seen || (!missed.isEmpty() && missed.get(0).offset() == seen + 1);
    if (newEpoch || !unbroken) {
      logger.info("Room {}: history reset (epoch {} to {})", room, log.epoch(), h.epoch());
      log.adopt(h.epoch(), h.offset(), h.kept());
      // The offset the client has everything up to, in the new count: what follows comes next.
      long upTo = missed.isEmpty() ? log.lastOffset() : missed.get(0).offset() - 1;
      // Classic clients know no history.
      members.fanOut(new ClientEvent.HistoryReset(log.epoch(), upTo), true);
    } else {
      log.fill(missed, h.offset());
    }
    for (KeptMessage kept : missed) {
      members.fanOut(new ClientEvent.Message(kept.from(), room, kept.msg(), kept.offset()));
    }
    if (newEpoch || h.moved()) {
      // The old sequencer is gone, and with it what it had not sent back: send it again (a
      // successor in the same epoch knows which it had).
      sendAgain(0);
    }
  }

  /** The sequencer missed this room's broadcasts from some on: sends them again. */
  void onGap(PeerEvent.SequenceGap gap) {
    if (gap.epoch().equals(log.epoch())) {
      sendAgain(gap.from()); // lost on the way to the sequencer
    }
  }

  /** The room stops: admin pushes still with the sequencer are answered, counting nobody. */
  void stop() {
    pending.forEach(
        p -> {
          if (p.publish() != null) {
            p.publish().replyTo().tell(new Lobby.Published(room, 0));
          }
        });
  }

  /** Hands a broadcast to the sequencer; it is fanned out, and answered, when it comes back. */
  private void toSequencer(Pending p) {
    pending.addLast(p);
    sendToSequencer(p);
  }

  /** Sends the pending broadcasts from {@code from} on to the sequencer again, in order. */
  private void sendAgain(long from) {
    for (Pending p : pending) {
      if (p.seq() >= from) {
        sendToSequencer(p);
      }
    }
  }

  private void sendToSequencer(Pending p) {
    peers.sequence(log.epoch(), pending.peekFirst().seq(), p.seq(), p.from(), p.msg());
  }

  /** This room's broadcasts up to {@code seq} came back: acknowledges or answers each. */
  private void done(long seq, int accepted, Long offset) {
    while (!pending.isEmpty() && pending.peekFirst().seq() <= seq) {
      Pending p = pending.pollFirst();
      boolean last = p.seq() == seq; // an earlier one came with the history
      int count = last ? accepted : 0;
      if (p.broadcast() != null) {
        metrics.broadcast(count, p.broadcast().sent());
        p.broadcast().done(last ? offset : null);
      } else {
        metrics.adminPush();
        p.publish().replyTo().tell(new Lobby.Published(room, count));
      }
    }
    runDeferred();
  }

  /** Handles the deferred commands whose broadcasts have all come back. */
  private void runDeferred() {
    while (deferred != null
        && !deferred.isEmpty()
        && (pending.isEmpty() || pending.peekFirst().seq() > deferred.peekFirst().after())) {
      Room.Command command = deferred.pollFirst().command();
      if (command instanceof Room.Sync sync) {
        sync.session().tell(sync.reply());
      } else if (command instanceof Room.Leave left) {
        leave.accept(left);
      }
    }
  }
}
