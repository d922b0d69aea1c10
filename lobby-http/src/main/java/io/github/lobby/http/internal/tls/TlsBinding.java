package io.github.lobby.http.internal.tls;

import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.routes.ListenerBinding;
import io.github.lobby.http.internal.routes.ServerLayerSettings;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.SharedKillSwitch;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code LobbyServer}'s listener when TLS is configured: Pekko Streams' TCP binding on {@code
 * lobby.http.host:port}, and per connection Pekko's TLS stage (server mode, the configured
 * protocols, no client authentication), the {@link PlaintextHook}, then Pekko HTTP's server layer
 * (with the lean path's settings, {@link ServerLayerSettings}) joined with the route tree. So TLS
 * connections are served by Pekko HTTP's engine path, WebSockets by the routes' engine path.
 *
 * <p>At most {@code lobby.http.max-connections} connections are served at once: the accepting
 * stream takes the next connection only when one has ended, so that further clients wait in the
 * backlog, as on the lean path.
 */
public final class TlsBinding implements ListenerBinding {

  private static final Logger slf4j = LoggerFactory.getLogger(TlsBinding.class);
  private static final AtomicInteger BINDINGS = new AtomicInteger();

  private final ActorSystem<?> system;
  private final Tcp.ServerBinding binding;
  private final AtomicInteger open;
  private final SharedKillSwitch drain;
  private final SharedKillSwitch kill;
  private final Runnable onTerminated;

  private TlsBinding(
      ActorSystem<?> system,
      Tcp.ServerBinding binding,
      AtomicInteger open,
      SharedKillSwitch drain,
      SharedKillSwitch kill,
      Runnable onTerminated) {
    this.system = system;
    this.binding = binding;
    this.open = open;
    this.drain = drain;
    this.kill = kill;
    this.onTerminated = onTerminated;
  }

  /**
   * Binds {@code http}'s host and port (with its backlog and connection limit) and serves TLS.
   *
   * @param contexts the server's TLS context, asked once per connection (so that it may change)
   * @param protocols the TLS versions offered
   * @param hook what each connection's decrypted bytes pass through
   * @param onTerminated run once the binding is terminated (stops a certificate reload, say)
   * @param logSource the class Pekko HTTP's server layer logs as
   * @return the binding once bound; failed with a {@link java.net.BindException} when it cannot be
   */
  public static CompletionStage<TlsBinding> bind(
      ActorSystem<?> system,
      HttpSettings http,
      Route route,
      Supplier<SSLContext> contexts,
      List<String> protocols,
      PlaintextHook hook,
      Runnable onTerminated,
      Class<?> logSource) {
    int n = BINDINGS.incrementAndGet();
    Connections connections =
        new Connections(
            ServerLayerSettings.create(system),
            route.flow(system),
            Http.get(system),
            Logging.getLogger(system.classicSystem(), logSource),
            Materializer.matFromSystem(system),
            engines(contexts, protocols),
            hook,
            // Completes the client's side of every connection on terminate: Pekko HTTP answers
            // what it has and closes. The other switch tears down what is left after the deadline.
            KillSwitches.shared("lobby-tls-drain-" + n),
            KillSwitches.shared("lobby-tls-kill-" + n),
            new AtomicInteger());
    Duration idle = ServerLayerSettings.idleTimeout(system);
    CompletionStage<Tcp.ServerBinding> bound =
        Tcp.get(system)
            .bind(http.host(), http.port(), http.backlog(), List.of(), false, Optional.of(idle))
            // The next connection is taken only when fewer than max-connections are served.
            .mapAsyncUnordered(http.maxConnections(), connections::serve)
            .to(Sink.ignore())
            .run(connections.materializer);
    return bound.thenApply(
        binding ->
            new TlsBinding(
                system,
                binding,
                connections.open,
                connections.drain,
                connections.kill,
                onTerminated));
  }

  /** Server-mode engines of the context {@code contexts} gives now, with {@code protocols}. */
  private static Supplier<SSLEngine> engines(
      Supplier<SSLContext> contexts, List<String> protocols) {
    String[] enabled = protocols.toArray(new String[0]);
    return () -> {
      SSLEngine engine = contexts.get().createSSLEngine();
      engine.setUseClientMode(false);
      engine.setNeedClientAuth(false);
      engine.setWantClientAuth(false);
      engine.setEnabledProtocols(enabled);
      return engine;
    };
  }

  /** What the connections of a binding share, and how one is served. */
  private record Connections(
      ServerSettings settings,
      Flow<HttpRequest, HttpResponse, NotUsed> handler,
      Http pekkoHttp,
      LoggingAdapter log,
      Materializer materializer,
      Supplier<SSLEngine> engines,
      PlaintextHook hook,
      SharedKillSwitch drain,
      SharedKillSwitch kill,
      AtomicInteger open) {

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static final BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed>
        PLACEBO = (BidiFlow) TLSPlacebo.getInstance();

    /** The decrypted bytes as plain ByteStrings (for the hook), and back. */
    private static final BidiFlow<ByteString, SslTlsOutbound, SslTlsInbound, ByteString, NotUsed>
        UNWRAP =
            BidiFlow.fromFlows(
                Flow.<ByteString>create()
                    .map(bytes -> (SslTlsOutbound) new TLSProtocol.SendBytes(bytes)),
                Flow.<SslTlsInbound>create()
                    .filter(in -> in instanceof TLSProtocol.SessionBytes)
                    .map(in -> ((TLSProtocol.SessionBytes) in).bytes()));

    /** Serves one accepted connection; completes (never fails) when it has ended. */
    CompletionStage<Done> serve(Tcp.IncomingConnection connection) {
      InetSocketAddress remote = connection.remoteAddress();
      open.incrementAndGet();
      // Per-address accounting (opening) belongs here; a refused address gets, instead of
      // handler, a flow that answers 429 (inside TLS, through the same stack) and closes.
      CompletionStage<Done> ended;
      try {
        ended = connection.handleWith(stack(remote, handler), materializer);
      } catch (RuntimeException e) {
        ended = CompletableFuture.failedFuture(e);
      }
      return ended.handle(
          (done, error) -> {
            open.decrementAndGet();
            // Per-address accounting (closing) belongs here: every served connection ends here.
            if (error != null) {
              slf4j.debug("TLS connection from {} ended: {}", remote, error.toString());
            }
            return Done.getInstance();
          });
    }

    /**
     * One connection's bytes to {@code requests}' answers: kill switch, TLS, the drain switch, the
     * hook, then Pekko HTTP's server layer.
     */
    private Flow<ByteString, ByteString, CompletionStage<Done>> stack(
        InetSocketAddress remote, Flow<HttpRequest, HttpResponse, NotUsed> requests) {
      return requests
          .join(
              pekkoHttp
                  .serverLayer(settings, Optional.of(remote), log)
                  .atop(PLACEBO)
                  .atop(hook.forConnection(remote))
                  .atop(BidiFlow.fromFlows(Flow.<ByteString>create(), drain.<ByteString>flow()))
                  .atop(UNWRAP)
                  .atop(TLS.create(engines, TLSClosing.eagerClose()))
                  .atop(BidiFlow.fromFlows(kill.<ByteString>flow(), kill.<ByteString>flow())))
          .watchTermination(Keep.right());
    }
  }

  @Override
  public InetSocketAddress localAddress() {
    return binding.localAddress();
  }

  @Override
  public CompletionStage<Done> unbind(Duration timeout) {
    return binding
        .unbind()
        .toCompletableFuture()
        .completeOnTimeout(null, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
        .handle((unbound, error) -> Done.getInstance());
  }

  @Override
  public CompletionStage<Done> terminate(Duration deadline) {
    drain.shutdown();
    CompletableFuture<Done> done = new CompletableFuture<>();
    long end = System.nanoTime() + deadline.toNanos();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (open.get() == 0 || System.nanoTime() >= end) {
            kill.abort(new IllegalStateException("Lobby server terminated"));
            onTerminated.run();
            done.complete(Done.getInstance());
          } else {
            system
                .scheduler()
                .scheduleOnce(Duration.ofMillis(20), check[0], system.executionContext());
          }
        };
    check[0].run();
    return done;
  }

  @Override
  public CompletionStage<Integer> openConnections() {
    return CompletableFuture.completedFuture(open.get());
  }
}
