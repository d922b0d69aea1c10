package io.github.lobby.cluster;

import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per node: carries the events of every local room to the other nodes' hubs, and theirs to the
 * local rooms of the same name.
 *
 * <p>Why one actor per node rather than a distributed pub-sub topic per room: a topic registers one
 * Receptionist key per room, and the Receptionist replicates every key to every node by gossip
 * (Pekko Distributed Data). With thousands of rooms created and emptied continuously that gossip is
 * the bottleneck, and a room that has just started on a node is unknown to the others until it has
 * spread, so early joins and messages are lost. Hubs register one key, once per node; a room's
 * events go from the room to its hub to each other hub to that node's room, so a sender's events
 * stay in order (each hop is one actor to another) and reach a new room at once.
 *
 * <p>What crosses: each room event as an {@link Envelope}, to every other node (a node without that
 * room drops it: a room that has just started on another node gets every event from the moment it
 * exists, at the cost of sending broadcasts also to nodes that have no member there, which is cheap
 * for the few nodes of a chat cluster), and every {@code resync-interval} one {@link Snapshot} per
 * node of all its rooms and their local members, which the receiving hub hands to its rooms as
 * {@link PeerEvent.Members}. The snapshot is what renews the rooms' member lease ({@link
 * io.github.lobby.core.Federation.Link#memberLease()}): members of a node whose room emptied, or
 * that crashed, stop being renewed and expire. The hub knows its rooms' members from the events it
 * forwards, so snapshots cost the rooms nothing.
 *
 * <p>Anything larger than half of Artery's {@code maximum-frame-size} is serialized here and sent
 * as {@link Chunk}s, which arrive contiguous and in order (one sender, one recipient) and are
 * reassembled up to {@code max-event-bytes}; so an admin push of {@code lobby.http.max-body}, or
 * the members of a room of 100,000, reach every node rather than only the local one.
 */
final class NodeHub {

  private static final Logger log = LoggerFactory.getLogger(NodeHub.class);

  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "lobby-rooms");

  /**
   * Messages of a hub; {@link Envelope}, {@link Snapshot}, {@link Chunk} and the whisper service's
   * {@link WhisperService.PeerRequest}s come from others.
   */
  sealed interface Command
      permits Link,
          Publish,
          Snapshot,
          Chunk,
          Relay,
          ServeWhispers,
          Unlinked,
          Peers,
          Removed,
          Tick,
          Envelope,
          WhisperService.PeerRequest {}

  /** A local room started: events of other nodes for {@code room} go to {@code inbox}. */
  record Link(RoomId room, ActorRef<PeerEvent> inbox, ActorRef<?> owner) implements Command {}

  /** A local room published an event for its peers. */
  record Publish(RoomId room, PeerEvent event) implements Command {}

  /**
   * All rooms a node has, with their members on that node, in join order.
   *
   * @param node the node
   * @param rooms room name to member ids
   * @param users room name to the user of each member that has one (by member id), only for rooms
   *     with such members; null when there are none (authentication off), and last, like {@link
   *     Envelope#users()}: a member first heard of from a snapshot (its join was lost) gets its
   *     user too
   */
  record Snapshot(
      String node, Map<String, List<String>> rooms, Map<String, Map<String, String>> users)
      implements Command, ClusterMessage {}

  /**
   * A piece of a large {@link Envelope} or {@link Snapshot}, serialized by the sending hub.
   *
   * @param node the sending node
   * @param data the next bytes
   * @param last whether this is the last piece; then {@code serializer} and {@code manifest} say
   *     how to read the whole
   */
  record Chunk(String node, byte[] data, boolean last, int serializer, String manifest)
      implements Command, ClusterMessage {}

  /**
   * Sends a whisper request to the whisper service of the node at {@code to} through that node's
   * hub, in chunks when large: whispers may be as large as client messages.
   */
  record Relay(Address to, WhisperService.PeerRequest request) implements Command {}

  /** The local whisper service, to which requests relayed by other hubs go. */
  record ServeWhispers(ActorRef<WhisperService.Command> service) implements Command {}

  private record Unlinked(RoomId room, ActorRef<?> owner) implements Command {}

  private record Peers(Receptionist.Listing listing) implements Command {}

  private record Removed(ClusterEvent.MemberRemoved removed) implements Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  /** A local room; {@code members} maps each member id to its user, or to null when it has none. */
  private record LocalRoom(
      ActorRef<PeerEvent> inbox, ActorRef<?> owner, LinkedHashMap<String, String> members) {}

  /** Bytes of one chunk in reassembly. */
  private static final class Reassembly {
    byte[] bytes = new byte[0];
    int length;
    boolean overflow;
  }

  private final ActorContext<Command> context;
  private final String node;
  private final int chunkBytes;
  private final long maxEventBytes;
  private final Serialization serialization;
  private final Map<RoomId, LocalRoom> rooms = new HashMap<>();
  private final Set<ActorRef<Command>> peers = new HashSet<>();
  private final Map<String, Reassembly> reassembly = new HashMap<>();
  private ActorRef<WhisperService.Command> whispers;

  private NodeHub(ActorContext<Command> context, String node, int chunkBytes, long maxEventBytes) {
    this.context = context;
    this.node = node;
    this.chunkBytes = chunkBytes;
    this.maxEventBytes = maxEventBytes;
    this.serialization = SerializationExtension.get(Adapter.toClassic(context.getSystem()));
  }

  /**
   * @param resyncInterval how often this node's snapshot goes to the others
   * @param maxEventBytes the largest event or snapshot sent or reassembled, serialized
   */
  static Behavior<Command> create(Duration resyncInterval, long maxEventBytes) {
    return Behaviors.setup(
        context ->
            Behaviors.withTimers(
                timers -> {
                  String node = Cluster.get(context.getSystem()).selfMember().address().toString();
                  joinPeers(context, KEY, Peers::new);
                  Cluster.get(context.getSystem())
                      .subscriptions()
                      .tell(
                          Subscribe.create(
                              context.messageAdapter(
                                  ClusterEvent.MemberRemoved.class, Removed::new),
                              ClusterEvent.MemberRemoved.class));
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, resyncInterval);
                  return new NodeHub(context, node, chunkBytes(context.getSystem()), maxEventBytes)
                      .behavior();
                }));
  }

  private Behavior<Command> behavior() {
    return Behaviors.receive(Command.class)
        .onMessage(Publish.class, this::onPublish)
        .onMessage(Envelope.class, this::onEnvelope)
        .onMessage(Snapshot.class, this::onSnapshot)
        .onMessage(Chunk.class, this::onChunk)
        .onMessage(Relay.class, this::onRelay)
        .onMessage(WhisperService.PeerRequest.class, this::onRequest)
        .onMessage(
            ServeWhispers.class,
            s -> {
              whispers = s.service();
              return Behaviors.same();
            })
        .onMessage(Link.class, this::onLink)
        .onMessage(Unlinked.class, this::onUnlinked)
        .onMessage(Peers.class, this::onPeers)
        .onMessage(Removed.class, this::onRemoved)
        .onMessageEquals(Tick.INSTANCE, this::onTick)
        .build();
  }

  private Behavior<Command> onLink(Link link) {
    rooms.put(link.room(), new LocalRoom(link.inbox(), link.owner(), new LinkedHashMap<>()));
    context.watchWith(link.owner(), new Unlinked(link.room(), link.owner()));
    return Behaviors.same();
  }

  private Behavior<Command> onUnlinked(Unlinked unlinked) {
    LocalRoom room = rooms.get(unlinked.room());
    if (room != null && room.owner().equals(unlinked.owner())) {
      rooms.remove(unlinked.room()); // not a room of the same name started since
    }
    return Behaviors.same();
  }

  private Behavior<Command> onPublish(Publish publish) {
    PeerEvent event = publish.event();
    LocalRoom room = rooms.get(publish.room());
    if (room != null) {
      if (event instanceof PeerEvent.Joined j) {
        room.members().put(j.id().toString(), j.user());
      } else if (event instanceof PeerEvent.Left l) {
        room.members().remove(l.id().toString());
      } else if (event instanceof PeerEvent.Members m) {
        room.members().clear();
        m.members().forEach(id -> room.members().put(id.toString(), m.users().get(id)));
      }
    }
    Envelope envelope = Envelope.of(publish.room(), event);
    send(envelope, envelope.sizeBound(), List.copyOf(peers));
    return Behaviors.same();
  }

  private Behavior<Command> onTick() {
    if (peers.isEmpty()) {
      return Behaviors.same();
    }
    Map<String, List<String>> all = new HashMap<>();
    Map<String, Map<String, String>> users = new HashMap<>();
    long size = 256;
    for (Map.Entry<RoomId, LocalRoom> entry : rooms.entrySet()) {
      String name = entry.getKey().value();
      LinkedHashMap<String, String> members = entry.getValue().members();
      all.put(name, List.copyOf(members.keySet()));
      size += 3L * name.length() + 40L * members.size() + 8;
      Map<String, String> withUser = new LinkedHashMap<>();
      members.forEach(
          (id, user) -> {
            if (user != null) {
              withUser.put(id, user);
            }
          });
      if (!withUser.isEmpty()) {
        users.put(name, withUser);
        size += 3L * name.length() + Envelope.usersSizeBound(withUser) + 8;
      }
    }
    send(new Snapshot(node, all, users.isEmpty() ? null : users), size, List.copyOf(peers));
    return Behaviors.same();
  }

  /** Sends a message to peers whole, or in chunks when it may exceed half an Artery frame. */
  private void send(Command message, long sizeBound, List<ActorRef<Command>> to) {
    if (to.isEmpty()) {
      return;
    }
    if (sizeBound <= chunkBytes) {
      to.forEach(peer -> peer.tell(message));
      return;
    }
    Serializer serializer = serialization.findSerializerFor(message);
    // Through the extension, not the serializer: an ActorRef (a whisper's reply address) is
    // written with this system's address.
    byte[] bytes = serialization.serialize(message).get();
    if (bytes.length > maxEventBytes) {
      log.warn(
          "Not sent to other nodes: {} bytes is over lobby.cluster.max-event-bytes ({})",
          bytes.length,
          maxEventBytes);
      return;
    }
    String manifest = Serializers.manifestFor(serializer, message);
    List<Chunk> chunks = new ArrayList<>();
    for (int from = 0; from < bytes.length; from += chunkBytes) {
      int until = Math.min(bytes.length, from + chunkBytes);
      boolean last = until == bytes.length;
      chunks.add(
          new Chunk(
              node,
              Arrays.copyOfRange(bytes, from, until),
              last,
              last ? serializer.identifier() : 0,
              last ? manifest : ""));
    }
    for (ActorRef<Command> peer : to) {
      chunks.forEach(peer::tell);
    }
  }

  private Behavior<Command> onChunk(Chunk chunk) {
    Reassembly r = reassembly.computeIfAbsent(chunk.node(), n -> new Reassembly());
    if (!r.overflow && (long) r.length + chunk.data().length <= maxEventBytes) {
      if (r.bytes.length < r.length + chunk.data().length) {
        r.bytes =
            Arrays.copyOf(r.bytes, Math.max(r.length + chunk.data().length, r.bytes.length * 2));
      }
      System.arraycopy(chunk.data(), 0, r.bytes, r.length, chunk.data().length);
      r.length += chunk.data().length;
    } else {
      r.overflow = true;
    }
    if (!chunk.last()) {
      return Behaviors.same();
    }
    reassembly.remove(chunk.node());
    if (r.overflow) {
      log.warn(
          "Dropped an event from {}: over lobby.cluster.max-event-bytes ({})",
          chunk.node(),
          maxEventBytes);
      return Behaviors.same();
    }
    Object whole;
    try {
      whole =
          serialization
              .deserialize(Arrays.copyOf(r.bytes, r.length), chunk.serializer(), chunk.manifest())
              .get();
    } catch (Exception e) {
      // A chunk lost on the way (delivery is at most once) leaves bytes that do not parse.
      log.warn("Dropped an event from {} that did not reassemble: {}", chunk.node(), e.toString());
      return Behaviors.same();
    }
    if (whole instanceof Envelope envelope) {
      return onEnvelope(envelope);
    } else if (whole instanceof Snapshot snapshot) {
      return onSnapshot(snapshot);
    } else if (whole instanceof WhisperService.PeerRequest request) {
      return onRequest(request);
    }
    return Behaviors.same();
  }

  private Behavior<Command> onRelay(Relay relay) {
    for (ActorRef<Command> peer : peers) {
      if (peer.path().address().equals(relay.to())) {
        send(relay.request(), relay.request().sizeBound(), List.of(peer));
        return Behaviors.same();
      }
    }
    log.debug("No hub at {} for a whisper request; the search will time out", relay.to());
    return Behaviors.same();
  }

  private Behavior<Command> onRequest(WhisperService.PeerRequest request) {
    if (whispers != null) {
      whispers.tell(request);
    }
    return Behaviors.same();
  }

  /**
   * Registers this node's service under {@code key} and has every change of the service's
   * instances across the cluster delivered to it as {@code peers} (its own instance included).
   */
  static <T> void joinPeers(
      ActorContext<T> context, ServiceKey<T> key, Function<Receptionist.Listing, T> peers) {
    ActorRef<Receptionist.Command> receptionist = context.getSystem().receptionist();
    receptionist.tell(Receptionist.register(key, context.getSelf()));
    receptionist.tell(
        Receptionist.subscribe(
            key, context.messageAdapter(Receptionist.Listing.class, peers::apply)));
  }

  /** Half of Artery's frame: larger messages cross in chunks. */
  static int chunkBytes(ActorSystem<?> system) {
    return (int)
        (system.settings().config().getBytes("pekko.remote.artery.advanced.maximum-frame-size")
            / 2);
  }

  private Behavior<Command> onEnvelope(Envelope envelope) {
    if (envelope.node().equals(node)) {
      return Behaviors.same();
    }
    LocalRoom room = rooms.get(new RoomId(envelope.room()));
    if (room != null) {
      room.inbox().tell(envelope.toEvent());
    }
    return Behaviors.same();
  }

  private Behavior<Command> onSnapshot(Snapshot snapshot) {
    if (snapshot.node().equals(node)) {
      return Behaviors.same();
    }
    snapshot
        .rooms()
        .forEach(
            (name, ids) -> {
              LocalRoom room = rooms.get(new RoomId(name));
              if (room != null) {
                List<SessionId> members = ids.stream().map(Envelope::session).toList();
                Map<SessionId, String> users =
                    Envelope.sessionUsers(
                        snapshot.users() == null ? null : snapshot.users().get(name));
                room.inbox().tell(new PeerEvent.Members(snapshot.node(), members, users));
              }
            });
    return Behaviors.same();
  }

  private Behavior<Command> onPeers(Peers update) {
    peers.clear();
    peers.addAll(update.listing().getServiceInstances(KEY));
    peers.remove(context.getSelf());
    return Behaviors.same();
  }

  private Behavior<Command> onRemoved(Removed removed) {
    Address address = removed.removed().member().address();
    String gone = address.toString();
    if (gone.equals(node)) {
      return Behaviors.same();
    }
    reassembly.remove(gone);
    PeerEvent.NodeGone event = new PeerEvent.NodeGone(gone);
    rooms.values().forEach(room -> room.inbox().tell(event));
    return Behaviors.same();
  }
}
