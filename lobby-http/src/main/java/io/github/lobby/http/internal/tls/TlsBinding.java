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
    ServerSettings settings = ServerLayerSettings.create(system);
    Flow<HttpRequest, HttpResponse, NotUsed> handler = route.flow(system);
    Http pekkoHttp = Http.get(system);
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), logSource);
    Materializer materializer = Materializer.matFromSystem(system);
    int n = BINDINGS.incrementAndGet();
    // Completes the client's side of every connection on terminate: Pekko HTTP answers what it
    // has and closes. The other switch tears down what is left after the deadline.
    SharedKillSwitch drain = KillSwitches.shared("lobby-tls-drain-" + n);
    SharedKillSwitch kill = KillSwitches.shared("lobby-tls-kill-" + n);
    AtomicInteger open = new AtomicInteger();
    String[] enabled = protocols.toArray(new String[0]);
    @SuppressWarnings({"unchecked", "rawtypes"})
    BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> placebo =
        (BidiFlow) TLSPlacebo.getInstance();
    // The decrypted bytes as plain ByteStrings (for the hook), and back.
    BidiFlow<ByteString, SslTlsOutbound, SslTlsInbound, ByteString, NotUsed> unwrap =
        BidiFlow.fromFlows(
            Flow.<ByteString>create().map(bytes -> (SslTlsOutbound) new TLSProtocol.SendBytes(bytes)),
            Flow.<SslTlsInbound>create()
                .filter(in -> in instanceof TLSProtocol.SessionBytes)
                .map(in -> ((TLSProtocol.SessionBytes) in).bytes()));
    Supplier<SSLEngine> engines =
        () -> {
          SSLEngine engine = contexts.get().createSSLEngine();
          engine.setUseClientMode(false);
          engine.setNeedClientAuth(false);
          engine.setWantClientAuth(false);
          engine.setEnabledProtocols(enabled);
          return engine;
        };
    Duration idle = ServerLayerSettings.idleTimeout(system);
    CompletionStage<Tcp.ServerBinding> bound =
        Tcp.get(system)
            .bind(http.host(), http.port(), http.backlog(), List.of(), false, Optional.of(idle))
            .mapAsyncUnordered(
                http.maxConnections(),
                connection -> {
                  InetSocketAddress remote = connection.remoteAddress();
                  open.incrementAndGet();
                  // Accepted: per-address accounting (opening) belongs here.
                  Flow<ByteString, ByteString, CompletionStage<Done>> served =
                      handler
                          .join(
                              pekkoHttp
                                  .serverLayer(settings, Optional.of(remote), log)
                                  .atop(placebo)
                                  .atop(hook.forConnection(remote))
                                  .atop(BidiFlow.fromFlows(
                                      Flow.<ByteString>create(), drain.<ByteString>flow()))
                                  .atop(unwrap)
                                  .atop(TLS.create(engines, TLSClosing.eagerClose()))
                                  .atop(BidiFlow.fromFlows(
                                      kill.<ByteString>flow(), kill.<ByteString>flow())))
                          .watchTermination(Keep.right());
                  CompletionStage<Done> ended;
                  try {
                    ended = connection.handleWith(served, materializer);
                  } catch (RuntimeException e) {
                    ended = CompletableFuture.failedFuture(e);
                  }
                  return ended.handle(
                      (done, error) -> {
                        open.decrementAndGet();
                        // Ended: per-address accounting (closing) belongs here.
                        if (error != null) {
                          slf4j.debug("TLS connection from {} failed: {}", remote, error.toString());
                        }
                        return Done.getInstance();
                      });
                })
            .to(Sink.ignore())
            .run(materializer);
    return bound.thenApply(
        binding -> new TlsBinding(system, binding, open, drain, kill, onTerminated));
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
