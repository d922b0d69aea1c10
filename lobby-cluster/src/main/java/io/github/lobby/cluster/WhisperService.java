package io.github.lobby.cluster;

import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.RoomId;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Whispers across nodes. Each node's Lobby has one of these, registered with the Receptionist; a
 * whisper whose target is not on its own node is offered to every other node's service, which asks
 * its Lobby; the first that delivers answers yes, and when all said no (or after {@code timeout})
 * the sender gets "no session". A request larger than half an Artery frame goes through the {@link
 * NodeHub}s, which carry it in chunks.
 */
final class WhisperService {

  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "lobby-whispers");

  /** Messages of the service; the first two travel between nodes. */
  sealed interface Command {}

  /** Another node asks whether this node holds {@code to}. */
  record Request(
      String from, String to, String room, String text, String json, ActorRef<SearchEvent> replyTo)
      implements Command, NodeHub.Command, ClusterMessage {

    /** An upper bound of the serialized size (UTF-8: at most three bytes per char). */
    long sizeBound() {
      return 512 + 3L * ((text == null ? 0 : text.length()) + (json == null ? 0 : json.length()));
    }
  }

  /** The answer to a {@link Request}. */
  record Reply(boolean delivered) implements SearchEvent, ClusterMessage {}

  /** What a search hears: replies, or that time ran out. */
  sealed interface SearchEvent {}

  private enum TimedOut implements SearchEvent {
    INSTANCE
  }

  /** The local Lobby answered a {@link Request}; pass it on to the asking node. */
  private record Answered(ActorRef<Reply> replyTo, boolean delivered) implements Command {}

  /** From the local Lobby: find the node of a whisper's target. */
  record Find(Lobby.WhisperSearch search) implements Command {}

  private record Peers(Receptionist.Listing listing) implements Command {}

  private WhisperService() {}

  static Federation.Whispers start(
      ActorRef<Lobby.PeerCommand> lobby,
      ActorContext<?> context,
      Duration timeout,
      ActorRef<NodeHub.Command> hub) {
    // Resumed on failure: a stopped service would leave every search under way, and every later
    // one, without an answer, and each holds a place in its sender's inbound window.
    ActorRef<Command> service =
        context.spawn(
            Behaviors.supervise(create(lobby, timeout, hub)).onFailure(SupervisorStrategy.resume()),
            "whispers");
    hub.tell(new NodeHub.ServeWhispers(service));
    return search -> service.tell(new Find(search));
  }

  private static Behavior<Command> create(
      ActorRef<Lobby.PeerCommand> lobby, Duration timeout, ActorRef<NodeHub.Command> hub) {
    return Behaviors.setup(
        context -> {
          context.getSystem().receptionist().tell(Receptionist.register(KEY, context.getSelf()));
          context
              .getSystem()
              .receptionist()
              .tell(
                  Receptionist.subscribe(
                      KEY, context.messageAdapter(Receptionist.Listing.class, Peers::new)));
          Set<ActorRef<Command>> peers = new HashSet<>();
          return Behaviors.receive(Command.class)
              .onMessage(
                  Peers.class,
                  p -> {
                    peers.clear();
                    peers.addAll(p.listing().getServiceInstances(KEY));
                    peers.remove(context.getSelf());
                    return Behaviors.same();
                  })
              .onMessage(
                  Request.class,
                  r -> {
                    context.ask(
                        Boolean.class,
                        lobby,
                        timeout,
                        replyTo ->
                            new Lobby.DeliverWhisper(
                                Envelope.session(r.from()),
                                Envelope.session(r.to()),
                                new RoomId(r.room()),
                                Envelope.payload(r.text(), r.json()),
                                replyTo),
                        (delivered, error) ->
                            new Answered(r.replyTo().narrow(), delivered != null && delivered));
                    return Behaviors.same();
                  })
              .onMessage(
                  Answered.class,
                  a -> {
                    a.replyTo().tell(new Reply(a.delivered()));
                    return Behaviors.same();
                  })
              .onMessage(
                  Find.class,
                  f -> {
                    if (peers.isEmpty()) {
                      lobby.tell(new Lobby.WhisperSearched(f.search(), false));
                    } else {
                      context.spawnAnonymous(
                          search(f.search(), lobby, Set.copyOf(peers), timeout, hub));
                    }
                    return Behaviors.same();
                  })
              .build();
        });
  }

  /**
   * Asks every peer, answers true on the first delivery, false when all said no or time ran out.
   */
  private static Behavior<SearchEvent> search(
      Lobby.WhisperSearch w,
      ActorRef<Lobby.PeerCommand> lobby,
      Set<ActorRef<Command>> peers,
      Duration timeout,
      ActorRef<NodeHub.Command> hub) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context -> {
                  // One deadline for the whole search (not a receive timeout, which each reply
                  // would restart): the sender's inbound window keeps a place until it ends.
                  timers.startSingleTimer(TimedOut.INSTANCE, timeout);
                  return searching(w, lobby, peers, hub, context);
                }));
  }

  /** Sends the request to every peer, then waits for the first delivery or every refusal. */
  private static Behavior<SearchEvent> searching(
      Lobby.WhisperSearch w,
      ActorRef<Lobby.PeerCommand> lobby,
      Set<ActorRef<Command>> peers,
      ActorRef<NodeHub.Command> hub,
      ActorContext<SearchEvent> context) {
    Request request =
        new Request(
            w.from().toString(),
            w.to().toString(),
            w.room().value(),
            Envelope.text(w.msg()),
            Envelope.json(w.msg()),
            context.getSelf());
    boolean large = request.sizeBound() > NodeHub.chunkBytes(context.getSystem());
    for (ActorRef<Command> peer : peers) {
      if (large) {
        hub.tell(new NodeHub.Relay(peer.path().address(), request)); // crosses in chunks
      } else {
        peer.tell(request);
      }
    }
    int[] answers = {0};
    return Behaviors.receive(SearchEvent.class)
        .onMessage(
            Reply.class,
            reply -> {
              answers[0]++;
              if (reply.delivered() || answers[0] >= peers.size()) {
                lobby.tell(new Lobby.WhisperSearched(w, reply.delivered()));
                return Behaviors.stopped();
              }
              return Behaviors.same();
            })
        .onMessageEquals(
            TimedOut.INSTANCE,
            () -> {
              lobby.tell(new Lobby.WhisperSearched(w, false));
              return Behaviors.stopped();
            })
        .build();
  }
}
