package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.Lobby;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Spike, candidate (b) of the connection layer, to be measured next to the lean path of {@link
 * LobbyServer} and the streams spike: the same Lobby, routes, settings and {@link WsConnection},
 * but the sockets are Netty's (epoll where available, else NIO) and each connection one {@link
 * NettyConnection}.
 *
 * <pre>
 * java -Dlobby.http.port=18096 -cp lobby-bench/target/lobby-bench.jar io.github.lobby.http.NettySpikeServer
 * </pre>
 *
 * <p>Like {@link StreamsSpikeServer}: reads {@code lobby.http.host:port} and the admin token
 * ({@code LOBBY_ADMIN_TOKEN}) from the system configuration, spawns the Lobby as system actor
 * {@code lobby} (single node), serves {@code /health}, the admin API and every other plain HTTP
 * request through Pekko HTTP's server layer, and WebSockets on the Netty path; on SIGTERM it
 * unbinds, closes every session with 1001 and waits for the connections to end (at most {@code
 * close-timeout} + 0.5 s), then stops the event loops. One event loop group, as many threads as
 * cores (override with {@code -Dspike.netty.threads=N}), accepts and serves every connection; at
 * most {@code max-connections} are open at once (beyond it, accepting pauses and new ones wait in
 * the backlog). Not done here, as in the streams spike: letting keep-alive plain HTTP connections
 * finish on stop; they end with the event loops.
 */
public final class NettySpikeServer {

  private NettySpikeServer() {}

  /** Starts the spike server; it runs until the JVM is asked to stop. */
  public static void main(String[] args) {
    SpikeServers.run("Netty spike", NettySpikeServer::start);
  }

  /**
   * Spawns the Lobby, binds {@code lobby.http.host:port} with Netty and hooks the stop into
   * CoordinatedShutdown; completes with the bound address.
   */
  static CompletionStage<InetSocketAddress> start(ActorSystem<?> system, Config config) {
    SpikeServers.Lobbied set = SpikeServers.setUp(system, config, NettySpikeServer.class);
    HttpSettings http = set.http();
    ActorRef<Lobby.Command> lobby = set.lobby();
    LobbyRoutes routes = set.routes();
    LeanConnection.Shared shared = set.shared();

    boolean epoll = Epoll.isAvailable();
    int threads =
        config.hasPath("spike.netty.threads")
            ? config.getInt("spike.netty.threads")
            : Runtime.getRuntime().availableProcessors();
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            threads,
            new DefaultThreadFactory("lobby-netty"),
            epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    Class<? extends ServerChannel> channelType =
        epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    // As on the lean path: TCP_NODELAY (Pekko IO sets it on every connection), half-close (Pekko
    // IO's keepOpenOnPeerClosed: after our Close the connection reads on to the client's FIN),
    // reads pulled by the connection (auto-read off until it wants a stream of reads), no idle
    // timeout from the transport (WebSockets have the session's heartbeat, the head and plain
    // HTTP their own timers).
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(channelType)
            .option(ChannelOption.SO_BACKLOG, http.backlog())
            .option(ChannelOption.SO_REUSEADDR, true)
            .handler(new Accepting(http.maxConnections()))
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childOption(ChannelOption.AUTO_READ, false)
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel channel) {
                    channel.pipeline().addLast(new NettyConnection(shared));
                  }
                });
    CompletableFuture<Channel> bound = new CompletableFuture<>();
    ChannelFuture binding = bootstrap.bind(http.host(), http.port());
    binding.addListener(
        f -> {
          if (f.isSuccess()) {
            bound.complete(binding.channel());
          } else {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            bound.completeExceptionally(f.cause());
          }
        });
    return bound.thenApply(
        server -> {
          CoordinatedShutdown shutdown = CoordinatedShutdown.get(system);
          shutdown.addTask(
              CoordinatedShutdown.PhaseServiceUnbind(),
              "lobby-netty-spike-stop",
              () -> stop(system, lobby, routes, server));
          shutdown.addTask(
              CoordinatedShutdown.PhaseServiceStop(),
              "lobby-netty-spike-event-loops",
              () -> {
                CompletableFuture<Done> stopped = new CompletableFuture<>();
                group
                    .shutdownGracefully(0, 1, TimeUnit.SECONDS)
                    .addListener(f -> stopped.complete(Done.getInstance()));
                return stopped;
              });
          InetSocketAddress address = (InetSocketAddress) server.localAddress();
          System.out.println(
              "Lobby (Netty spike, "
                  + (epoll ? "epoll" : "nio")
                  + ", "
                  + threads
                  + " event loops) listening on "
                  + address);
          if (http.adminTokenGenerated()) {
            System.out.println(
                "No lobby.http.admin-token configured; generated token: " + http.adminToken());
          }
          return address;
        });
  }

  /**
   * Keeps at most {@code max-connections} open, as LeanListener does: at the limit the listening
   * channel stops accepting (the rest wait in the backlog) until a connection ends. Runs on the
   * listening channel's event loop; with epoll each accept is handed on before the next, so the
   * limit is exact (NIO accepts a batch of up to 16 first).
   */
  @ChannelHandler.Sharable
  private static final class Accepting extends ChannelInboundHandlerAdapter {
    private final int max;
    private final AtomicInteger open = new AtomicInteger();

    Accepting(int max) {
      this.max = max;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Channel server = ctx.channel();
      Channel child = (Channel) msg;
      open.incrementAndGet();
      child.closeFuture().addListener(f -> ended(server));
      if (open.get() >= max) {
        server.config().setAutoRead(false);
      }
      ctx.fireChannelRead(msg);
    }

    private void ended(Channel server) {
      if (open.decrementAndGet() < max) {
        server
            .eventLoop()
            .execute(
                () -> {
                  if (server.isOpen() && !server.config().isAutoRead() && open.get() < max) {
                    server.config().setAutoRead(true);
                  }
                });
      }
    }
  }

  /** LobbyServer.stop without its last step: unbind, then LobbyServer.closeSessions. */
  private static CompletionStage<Done> stop(
      ActorSystem<?> system, ActorRef<Lobby.Command> lobby, LobbyRoutes routes, Channel server) {
    CompletableFuture<Done> unbound = new CompletableFuture<>();
    server.close().addListener(f -> unbound.complete(Done.getInstance()));
    return unbound.thenCompose(u -> LobbyServer.closeSessions(system, lobby, routes));
  }
}
