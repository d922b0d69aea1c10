package io.github.lobby.http.internal.lean;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.Done;
import org.apache.pekko.actor.AbstractActor;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Props;
import org.apache.pekko.io.Inet;
import org.apache.pekko.io.Tcp;
import org.apache.pekko.io.TcpMessage;

/**
 * The listening socket of the lean path, on Pekko IO: accepts connections (pulled, at most {@code
 * max-connections} open at once: beyond it, new ones wait in the backlog) and makes one {@link
 * LeanConnection} child per connection.
 */
final class LeanListener extends AbstractActor {

  /** What the listener is told. */
  enum Command {
    /** Stop accepting; the reply to the asker is {@link Done} once the socket is unbound. */
    UNBIND,
    /** Tell every connection that the server stops (plain HTTP connections finish and close). */
    TERMINATE,
    /** Asks for the number of open connections (an Integer). */
    OPEN,
    /** A connection actor stopped; each sends it from its postStop. */
    CONNECTION_ENDED
  }

  /** How many connections one accept round takes. */
  private static final int ACCEPT_BATCH = 16;

  static Props props(
      InetSocketAddress address,
      int backlog,
      int maxConnections,
      LeanShared shared,
      CompletableFuture<InetSocketAddress> bound) {
    return Props.create(
        LeanListener.class,
        () -> new LeanListener(address, backlog, maxConnections, shared, bound));
  }

  private final InetSocketAddress address;
  private final int backlog;
  private final int maxConnections;
  private final LeanShared shared;
  private final CompletableFuture<InetSocketAddress> bound;

  private ActorRef socket;
  private int open;
  private int acceptsLeft;
  private boolean unbound;
  private ActorRef unbindRequester;

  private LeanListener(
      InetSocketAddress address,
      int backlog,
      int maxConnections,
      LeanShared shared,
      CompletableFuture<InetSocketAddress> bound) {
    this.address = address;
    this.backlog = backlog;
    this.maxConnections = maxConnections;
    this.shared = shared;
    this.bound = bound;
  }

  @Override
  public void preStart() {
    List<Inet.SocketOption> options = List.of();
    Tcp.get(getContext().getSystem())
        .manager()
        .tell(TcpMessage.bind(getSelf(), address, backlog, options, true), getSelf());
  }

  @Override
  public void postStop() {
    bound.completeExceptionally(
        new IllegalStateException("the listener stopped before it was bound"));
  }

  @Override
  public Receive createReceive() {
    return receiveBuilder()
        .match(
            Tcp.Bound.class,
            b -> {
              socket = getSender();
              bound.complete(b.localAddress());
              accept();
            })
        .match(
            Tcp.CommandFailed.class,
            failed -> {
              if (socket == null) {
                bound.completeExceptionally(
                    new java.net.BindException(
                        "cannot bind " + address + ": " + failed.causedByString()));
                getContext().stop(getSelf());
              }
            })
        .match(Tcp.Connected.class, this::onConnected)
        .matchEquals(Command.CONNECTION_ENDED, e -> onConnectionEnded())
        .matchEquals(Command.UNBIND, u -> onUnbind())
        .match(
            Tcp.Unbound.class,
            u -> {
              unbound = true;
              replyUnbound();
            })
        .matchEquals(Command.OPEN, o -> getSender().tell(open, getSelf()))
        .matchEquals(
            Command.TERMINATE,
            t ->
                getContext()
                    .getChildren()
                    .forEach(c -> c.tell(LeanSignal.Terminate.INSTANCE, getSelf())))
        .build();
  }

  private void onConnected(Tcp.Connected connected) {
    open++;
    acceptsLeft--;
    getContext().actorOf(LeanConnection.props(getSender(), connected.remoteAddress(), shared));
    // The child tells us when it stops (CONNECTION_ENDED), cheaper than a death watch on each.
    accept();
  }

  private void onConnectionEnded() {
    open--;
    accept();
  }

  private void accept() {
    if (socket == null || unbindRequester != null || unbound) {
      return;
    }
    if (acceptsLeft <= 0 && open < maxConnections) {
      acceptsLeft = Math.min(ACCEPT_BATCH, maxConnections - open);
      socket.tell(TcpMessage.resumeAccepting(acceptsLeft), getSelf());
    }
  }

  private void onUnbind() {
    unbindRequester = getSender();
    if (socket == null || unbound) {
      unbound = true;
      replyUnbound();
    } else {
      socket.tell(TcpMessage.unbind(), getSelf());
    }
  }

  private void replyUnbound() {
    if (unbindRequester != null) {
      unbindRequester.tell(Done.getInstance(), getSelf());
    }
  }
}
