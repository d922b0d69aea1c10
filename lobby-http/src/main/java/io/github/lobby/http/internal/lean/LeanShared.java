package io.github.lobby.http.internal.lean;

import io.github.lobby.http.internal.guard.HeadGuard;
import io.github.lobby.http.internal.routes.ServerLayerSettings;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.event.Logging;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.settings.ServerSettings;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSProtocol.SslTlsInbound;
import org.apache.pekko.stream.TLSProtocol.SslTlsOutbound;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.TLSPlacebo;
import org.apache.pekko.util.ByteString;

/**
 * What every lean connection of a binding shares, assembled once when the server binds: the
 * WebSocket connections' context, and for plain HTTP, Pekko HTTP's server layer (with Lobby's
 * parser settings) joined with the route tree, per connection.
 *
 * @param http Pekko HTTP serving one connection from the given address
 * @param maxHead the most bytes a request head may have on the lean path; a longer one goes to
 *     Pekko HTTP, which answers it with 414 or 431
 * @param maxUri the longest request target the lean path takes (Pekko HTTP's {@code
 *     max-uri-length}), so that both paths take the same targets
 * @param idleTimeout how long an idle plain HTTP connection may stay (Pekko HTTP's {@code
 *     idle-timeout}); progress is a completed head, body or answer, not a byte
 * @param guard the request-head guard of the server: head deadline, line ends, head sizes
 */
record LeanShared(
    ConnectionContext context,
    Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> http,
    Materializer materializer,
    int maxHead,
    int maxUri,
    Duration idleTimeout,
    HeadGuard guard) {

  /**
   * What the connections of a binding share: {@code context} for WebSockets, and for plain HTTP,
   * Pekko HTTP's server layer joined with {@code route}.
   *
   * @param logSource the class Pekko HTTP's server layer logs as
   */
  static LeanShared create(
      ActorSystem<?> system,
      ConnectionContext context,
      HeadGuard guard,
      Route route,
      Class<?> logSource) {
    ServerSettings settings = ServerLayerSettings.create(system);
    Flow<HttpRequest, HttpResponse, NotUsed> handler = route.flow(system);
    Http pekkoHttp = Http.get(system);
    LoggingAdapter log = Logging.getLogger(system.classicSystem(), logSource);
    @SuppressWarnings({"unchecked", "rawtypes"})
    BidiFlow<SslTlsOutbound, ByteString, ByteString, SslTlsInbound, NotUsed> placebo =
        (BidiFlow) TLSPlacebo.getInstance();
    Function<InetSocketAddress, Flow<ByteString, ByteString, ?>> http =
        remote ->
            handler.join(pekkoHttp.serverLayer(settings, Optional.of(remote), log).atop(placebo));
    // A head longer than Pekko HTTP's own limits could hold goes to Pekko HTTP, which answers it
    // with 414 or 431; one longer than max-request-head is answered 431 by the guard.
    int maxHead =
        (int)
            Math.min(
                guard.maxHead(),
                settings.getParserSettings().getMaxUriLength()
                    + (long) settings.getParserSettings().getMaxHeaderCount()
                        * settings.getParserSettings().getMaxHeaderValueLength()
                        / 4);
    return new LeanShared(
        context,
        http,
        Materializer.matFromSystem(system),
        maxHead,
        (int) Math.min(Integer.MAX_VALUE, settings.getParserSettings().getMaxUriLength()),
        ServerLayerSettings.idleTimeout(system),
        guard);
  }
}
