package io.github.lobby.http.internal.tls;

import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.routes.ListenerBinding;
import io.github.lobby.http.internal.routes.HttpErrors;
import io.github.lobby.http.internal.routes.ServerLayerSettings;
import io.github.lobby.http.internal.ws.Admission;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
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
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.Connection;
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
 * backlog, as on the lean path. On terminate, idle connections are closed at once and busy ones
 * after their answer, as the lean path's plain HTTP connections are.
 */
public final class TlsBinding implements ListenerBinding {

  private static final Logger slf4j = LoggerFactory.getLogger(TlsBinding.class);

  private final ActorSystem<?> system;
  private final Tcp.ServerBinding binding;
  private final Connections connections;
  private final Runnable onTerminated;

  private TlsBinding(
      ActorSystem<?> system,
      Tcp.ServerBinding binding,
      Connections connections,
      Runnable onTerminated) {
    this.system = system;
    this.binding = binding;
    this.connections = connections;
    this.onTerminated = onTerminated;
  }

  /**
   * Binds {@code http}'s host and port (with its backlog and connection limit) and serves TLS.
   *
   * @param contexts the server's TLS context, asked once per connection (so that it may change)
   * @param protocols the TLS versions offered
   * @param admission counts every connection per client address from its accept ({@code
   *     max-connections-per-ip}); one over the limit is answered 429 inside TLS and closed
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
      Admission admission,
      PlaintextHook hook,
      Runnable onTerminated,
      Class<?> logSource) {
    Connections connections =
        new Connections(
            ServerLayerSettings.create(system),
            route.flow(system),
            Http.get(system),
            Logging.getLogger(system.classicSystem(), logSource),
            Materializer.matFromSystem(system),
            engines(contexts, protocols),
            admission,
            hook);
    Duration idle = ServerLayerSettings.idleTimeout(system);
    CompletionStage<Tcp.ServerBinding> bound =
        Tcp.get(system)
            .bind(http.host(), http.port(), http.backlog(), List.of(), false, Optional.of(idle))
            // The next connection is taken only when fewer than max-connections are served.
            .mapAsyncUnordered(http.maxConnections(), connections::serve)
            .to(Sink.ignore())
            .run(connections.materializer);
    return bound.thenApply(binding -> new TlsBinding(system, binding, connections, onTerminated));
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

  /** One open connection: its requests being answered, and the switch that ends it. */
  private static final class Open {
    final AtomicInteger inFlight = new AtomicInteger();
    final SharedKillSwitch end;

    Open(SharedKillSwitch end) {
      this.end = end;
    }
  }

  /** What the connections of a binding share, how one is served, and the open ones. */
  private static final class Connections {

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

    private static final AtomicLong IDS = new AtomicLong();

    final ServerSettings settings;
    final Flow<HttpRequest, HttpResponse, NotUsed> handler;
    final Http pekkoHttp;
    final LoggingAdapter log;
    final Materializer materializer;
    final Supplier<SSLEngine> engines;
    final Admission admission;
    final PlaintextHook hook;
    final Set<Open> open = ConcurrentHashMap.newKeySet();
    /** Set on terminate: answers close their connection, idle connections are closed. */
    volatile boolean draining;

    Connections(
        ServerSettings settings,
        Flow<HttpRequest, HttpResponse, NotUsed> handler,
        Http pekkoHttp,
        LoggingAdapter log,
        Materializer materializer,
        Supplier<SSLEngine> engines,
        Admission admission,
        PlaintextHook hook) {
      this.settings = settings;
      this.handler = handler;
      this.pekkoHttp = pekkoHttp;
      this.log = log;
      this.materializer = materializer;
      this.engines = engines;
      this.admission = admission;
      this.hook = hook;
    }

    /** Serves one accepted connection; completes (never fails) when it has ended. */
    CompletionStage<Done> serve(Tcp.IncomingConnection connection) {
      InetSocketAddress remote = connection.remoteAddress();
      Open conn = new Open(KillSwitches.shared("lobby-tls-" + IDS.incrementAndGet()));
      open.add(conn);
      // Counted from the accept, as on the lean path; an address over its limit gets, instead of
      // the routes, an answer 429 inside TLS (after its handshake and request head, which the
      // head guard bounds in time), and the connection closes.
      InetAddress address = remote.getAddress();
      boolean admitted = admission.openConnection(address);
      CompletionStage<Done> ended;
      try {
        ended =
            connection.handleWith(
                stack(remote, conn, admitted ? handler : refused()), materializer);
      } catch (RuntimeException e) {
        ended = CompletableFuture.failedFuture(e);
      }
      if (draining) {
        drain(conn); // accepted while the binding was being terminated
      }
      return ended.handle(
          (done, error) -> {
            open.remove(conn);
            if (admitted) {
              admission.closeConnection(address);
            }
            if (error != null) {
              slf4j.debug("TLS connection from {} ended: {}", remote, error.toString());
            }
            return Done.getInstance();
          });
    }

    /**
     * One connection's bytes to {@code requests}' answers: the connection's switch, TLS, the
     * hook, then Pekko HTTP's server layer; requests and answers counted, so that a terminate
     * closes idle connections at once and lets the others answer first.
     */
    private Flow<ByteString, ByteString, CompletionStage<Done>> stack(
        InetSocketAddress remote, Open conn, Flow<HttpRequest, HttpResponse, NotUsed> requests) {
      Flow<HttpRequest, HttpResponse, NotUsed> counted =
          Flow.<HttpRequest>create()
              .map(
                  request -> {
                    conn.inFlight.incrementAndGet();
                    return request;
                  })
              .via(requests)
              .map(
                  response -> {
                    conn.inFlight.decrementAndGet();
                    // Pekko HTTP closes the connection after an answer that says so.
                    return draining ? response.addHeader(Connection.create("close")) : response;
                  });
      return counted
          .join(
              pekkoHttp
                  .serverLayer(settings, Optional.of(remote), log)
                  .atop(PLACEBO)
                  .atop(hook.forConnection(remote))
                  .atop(UNWRAP)
                  .atop(TLS.create(engines, TLSClosing.eagerClose()))
                  // Completing the client's bytes closes TLS, and so the connection, at once.
                  .atop(BidiFlow.fromFlows(conn.end.<ByteString>flow(), conn.end.<ByteString>flow())))
          .watchTermination(Keep.right());
    }

    /** Answers every request 429 and closes: the requests of an address over its limit. */
    private Flow<HttpRequest, HttpResponse, NotUsed> refused() {
      return Flow.<HttpRequest>create()
          .map(
              request -> {
                request.discardEntityBytes(materializer);
                return HttpErrors.error(
                        StatusCodes.TOO_MANY_REQUESTS, admission.addressFullMessage())
                    .addHeader(Connection.create("close"));
              });
    }

    /** Closes {@code conn} now when it is not answering a request (otherwise its answer does). */
    void drain(Open conn) {
      if (conn.inFlight.get() == 0) {
        conn.end.shutdown();
      }
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
        .completeOnTimeout(null, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((unbound, error) -> Done.getInstance());
  }

  /**
   * Closes idle connections at once and every other after its answer (with {@code Connection:
   * close}), waits up to {@code deadline} for them to end, then drops what is left.
   */
  @Override
  public CompletionStage<Done> terminate(Duration deadline) {
    connections.draining = true;
    connections.open.forEach(connections::drain);
    return ListenerBinding.pollUntil(system, connections.open::isEmpty, deadline)
        .thenApply(
            ended -> {
              connections.open.forEach(
                  conn -> conn.end.abort(new IllegalStateException("Lobby server terminated")));
              onTerminated.run();
              return ended;
            });
  }

  @Override
  public CompletionStage<Integer> openConnections() {
    return CompletableFuture.completedFuture(connections.open.size());
  }
}
