package io.github.lobby.cluster;

import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.RoomId;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Function;
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
 *
 * <p>A whisper to a user goes the same way, but cannot stop at the first yes: one user may have
 * sessions on several nodes, so every other node delivers it to its own sessions of that user and
 * answers how many, and the Lobby hears the sum once all have answered, or at the deadline with
 * what had arrived by then (a slow node must not turn deliveries that happened into "no user").
 *
 * <p>Every search is a short-lived child with one deadline timer, and the service itself keeps no
 * state per search. What bounds the searches under way is the sender's inbound window: the Lobby
 * acknowledges the client's message only when the search has ended, so a client has at most its
 * {@code lobby.inbound-window} of them.
 */
final class WhisperService {

  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "lobby-whispers");

  /** Messages of the service; the {@link PeerRequest}s travel between nodes. */
  sealed interface Command {}

  /**
   * What another node's search asks this node; crosses whole, or through the hubs in chunks when
   * larger than half an Artery frame ({@link NodeHub.Relay}).
   */
  sealed interface PeerRequest extends Command, NodeHub.Command, ClusterMessage {
    /** An upper bound of the serialized size (UTF-8: at most three bytes per char). */
    long sizeBound();
  }

  /** Another node asks whether this node holds {@code to}. */
  record Request(
      String from, String to, String room, String text, String json, ActorRef<SearchEvent> replyTo)
      implements PeerRequest {

    @Override
    public long sizeBound() {
      return 512 + 3L * ((text == null ? 0 : text.length()) + (json == null ? 0 : json.length()));
    }
  }

  /** Another node asks this node to deliver a whisper to its sessions of {@code user}. */
  record UserRequest(
      String from,
      String user,
      String room,
      String text,
      String json,
      ActorRef<SearchEvent> replyTo)
      implements PeerRequest {

    @Override
    public long sizeBound() {
      long chars =
          user.length() + (text == null ? 0 : text.length()) + (json == null ? 0 : json.length());
      return 512 + 3L * chars;
    }
  }

  /** The answer to a {@link Request}. */
  record Reply(boolean delivered) implements SearchEvent, ClusterMessage {}

  /** The answer to a {@link UserRequest}: how many of the user's sessions on that node got it. */
  record UserReply(int delivered) implements SearchEvent, ClusterMessage {}

  /** What a search hears: replies, or that time ran out. */
  sealed interface SearchEvent {}

  private enum TimedOut implements SearchEvent {
    INSTANCE
  }

  /** The local Lobby answered a {@link Request}; pass it on to the asking node. */
  private record Answered(ActorRef<Reply> replyTo, boolean delivered) implements Command {}

  /** The local Lobby answered a {@link UserRequest}; pass it on to the asking node. */
  private record AnsweredUser(ActorRef<UserReply> replyTo, int delivered) implements Command {}

  /** From the local Lobby: find the node of a whisper's target. */
  record Find(Lobby.WhisperSearch search) implements Search {}

  /** From the local Lobby: deliver a whisper to a user's sessions on every other node. */
  record FindUser(Lobby.UserWhisper whisper) implements Search {}

  /** A search among the other nodes that the local Lobby asks for. */
  private sealed interface Search extends Command permits Find, FindUser {}

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
    return new Federation.Whispers() {
      @Override
      public void find(Lobby.WhisperSearch search) {
        service.tell(new Find(search));
      }

      @Override
      public boolean findUser(Lobby.UserWhisper whisper) {
        service.tell(new FindUser(whisper)); // the service always answers, at the latest on time
        return true;
      }
    };
  }

  private static Behavior<Command> create(
      ActorRef<Lobby.PeerCommand> lobby, Duration timeout, ActorRef<NodeHub.Command> hub) {
    return Behaviors.setup(
        context -> {
          NodeHub.joinPeers(context, KEY, Peers::new);
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
                  UserRequest.class,
                  r -> {
                    context.ask(
                        Integer.class,
                        lobby,
                        // Half the sender's deadline: a count that comes back at all comes back
                        // before the sender's node stops waiting, so that delivered whispers are
                        // not answered no_user.
                        timeout.dividedBy(2),
                        replyTo ->
                            new Lobby.DeliverUserWhisper(
                                Envelope.session(r.from()),
                                r.user(),
                                new RoomId(r.room()),
                                Envelope.payload(r.text(), r.json()),
                                replyTo),
                        (delivered, error) ->
                            new AnsweredUser(
                                r.replyTo().narrow(), delivered == null ? 0 : delivered));
                    return Behaviors.same();
                  })
              .onMessage(
                  Answered.class,
                  a -> {
                    a.replyTo().tell(new Reply(a.delivered()));
                    return Behaviors.same();
                  })
              .onMessage(
                  AnsweredUser.class,
                  a -> {
                    a.replyTo().tell(new UserReply(a.delivered()));
                    return Behaviors.same();
                  })
              .onMessage(Find.class, f -> search(f, context, peers, lobby, timeout, hub))
              .onMessage(FindUser.class, f -> search(f, context, peers, lobby, timeout, hub))
              .build();
        });
  }

  /** Spawns {@code search} among the peers known now, or answers at once when there are none. */
  private static Behavior<Command> search(
      Search search,
      ActorContext<Command> context,
      Set<ActorRef<Command>> peers,
      ActorRef<Lobby.PeerCommand> lobby,
      Duration timeout,
      ActorRef<NodeHub.Command> hub) {
    if (peers.isEmpty()) {
      lobby.tell(
          search instanceof Find find
              ? new Lobby.WhisperSearched(find.search(), false)
              : new Lobby.UserWhispered(((FindUser) search).whisper(), 0));
    } else {
      Set<ActorRef<Command>> known = Set.copyOf(peers); // peers changes as the listing does
      context.spawnAnonymous(
          withDeadline(
              timeout,
              search instanceof Find find
                  ? c -> searching(find.search(), lobby, known, hub, c)
                  : c -> delivering(((FindUser) search).whisper(), lobby, known, hub, c)));
    }
    return Behaviors.same();
  }

  /**
   * A search that gets {@link TimedOut} once, {@code timeout} after it starts: one deadline for the
   * whole search (not a receive timeout, which each reply would restart), since the sender's
   * inbound window keeps a place until it ends.
   */
  private static Behavior<SearchEvent> withDeadline(
      Duration timeout, Function<ActorContext<SearchEvent>, Behavior<SearchEvent>> search) {
    return Behaviors.withTimers(
        timers ->
            Behaviors.setup(
                context -> {
                  timers.startSingleTimer(TimedOut.INSTANCE, timeout);
                  return search.apply(context);
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
    offer(request, peers, hub, context);
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

  /** Sends the request to every peer, then sums their answers until all came or time ran out. */
  private static Behavior<SearchEvent> delivering(
      Lobby.UserWhisper w,
      ActorRef<Lobby.PeerCommand> lobby,
      Set<ActorRef<Command>> peers,
      ActorRef<NodeHub.Command> hub,
      ActorContext<SearchEvent> context) {
    offer(
        new UserRequest(
            w.from().toString(),
            w.user(),
            w.room().value(),
            Envelope.text(w.msg()),
            Envelope.json(w.msg()),
            context.getSelf()),
        peers,
        hub,
        context);
    int[] answers = {0};
    int[] delivered = {0};
    return Behaviors.receive(SearchEvent.class)
        .onMessage(
            UserReply.class,
            reply -> {
              answers[0]++;
              delivered[0] += Math.max(0, reply.delivered());
              if (answers[0] >= peers.size()) {
                lobby.tell(new Lobby.UserWhispered(w, delivered[0]));
                return Behaviors.stopped();
              }
              return Behaviors.same();
            })
        .onMessageEquals(
            TimedOut.INSTANCE,
            () -> {
              lobby.tell(new Lobby.UserWhispered(w, delivered[0])); // what arrived in time
              return Behaviors.stopped();
            })
        .build();
  }

  /** Sends a request to every peer: whole, or through the hubs in chunks when large. */
  private static void offer(
      PeerRequest request,
      Set<ActorRef<Command>> peers,
      ActorRef<NodeHub.Command> hub,
      ActorContext<SearchEvent> context) {
    boolean large = request.sizeBound() > NodeHub.chunkBytes(context.getSystem());
    for (ActorRef<Command> peer : peers) {
      if (large) {
        hub.tell(new NodeHub.Relay(peer.path().address(), request)); // crosses in chunks
      } else {
        peer.tell(request);
      }
    }
  }
}
