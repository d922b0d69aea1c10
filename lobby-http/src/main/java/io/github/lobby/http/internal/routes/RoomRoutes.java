package io.github.lobby.http.internal.routes;

import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.codec.JsonModeCodec;
import io.github.lobby.http.internal.deflate.PerMessageDeflate;
import io.github.lobby.http.internal.engine.EngineConnection;
import io.github.lobby.http.internal.engine.EngineFrames;
import io.github.lobby.http.internal.ws.AcceptedUpgrade;
import io.github.lobby.http.internal.ws.Admission;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.StreamSupport;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /{room}}: validates a WebSocket upgrade (the room, the method, the query of a
 * JSON-mode reconnect, the Origin, the connection limits, the authenticator's decision), answers
 * every refusal with the JSON error body, and upgrades to a session of the chosen mode on the
 * engine path ({@link EngineConnection}). The lean path takes only the upgrades that pass these
 * same checks ({@link #originAllowed}, {@link RecoveryQuery}, {@link UpgradeAuth}) and hands the
 * others here for their answer.
 */
public final class RoomRoutes extends AllDirectives {

  private final ConnectionContext context;

  /** @param context what the connections of the server share */
  public RoomRoutes(ConnectionContext context) {
    this.context = context;
  }

  /**
   * Whether a WebSocket {@code Origin} is accepted: any when {@code lobby.http.allowed-origins} is
   * empty, else one of them (ignoring case).
   */
  public static boolean originAllowed(HttpSettings http, String origin) {
    return http.allowedOrigins().isEmpty()
        || http.allowedOrigins().stream().anyMatch(origin::equalsIgnoreCase);
  }

  /** The route: every request that reaches it is taken as {@code GET /{room}}. */
  public Route route() {
    return extractRequest(this::room);
  }

  private Route room(HttpRequest request) {
    HttpSettings http = context.http();
    String path = request.getUri().path();
    String name = path.startsWith("/") ? path.substring(1) : path;
    Optional<HttpResponse> invalid = HttpErrors.invalidRoom(name);
    if (invalid.isPresent()) {
      return complete(invalid.get());
    }
    if (!request.method().name().equals("GET")) {
      return complete(
          HttpErrors.error(
              StatusCodes.METHOD_NOT_ALLOWED, "a room is joined with GET and a WebSocket upgrade"));
    }
    Optional<WebSocketUpgrade> upgrade = EngineFrames.upgradeOf(request);
    if (upgrade.isEmpty()) {
      return complete(
          HttpErrors.error(
              StatusCodes.BAD_REQUEST, "GET /{room} expects a WebSocket upgrade request"));
    }
    boolean json =
        StreamSupport.stream(upgrade.get().getRequestedProtocols().spliterator(), false)
            .anyMatch(JsonModeCodec.SUBPROTOCOL::equals);
    // Classic mode never reads since, epoch, resume and key; in JSON mode a query that does not
    // parse is refused, as the lean path refuses it (it might have asked for a recovery).
    Optional<Map<String, List<String>>> parsed = json ? query(request) : Optional.of(Map.of());
    if (parsed.isEmpty()) {
      return complete(
          HttpErrors.error(StatusCodes.BAD_REQUEST, "the query of the request does not parse"));
    }
    RecoveryQuery.Parsed asked = json ? RecoveryQuery.parse(parsed.get()) : RecoveryQuery.NONE;
    if (!asked.valid()) {
      return complete(HttpErrors.error(StatusCodes.BAD_REQUEST, asked.problem()));
    }
    Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
    if (origin.isPresent() && !originAllowed(http, origin.get())) {
      return complete(
          HttpErrors.error(
              StatusCodes.FORBIDDEN, "WebSocket connections from this origin are not allowed"));
    }
    Optional<InetAddress> address =
        request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress);
    Optional<Admission.Refusal> refused = context.admission().check(address);
    if (refused.isPresent()) {
      return complete(
          refused.get() == Admission.Refusal.SERVER_FULL
              ? HttpErrors.error(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  "the server is at its connection limit of " + context.settings().maxSessions())
              : HttpErrors.error(
                  StatusCodes.TOO_MANY_REQUESTS,
                  "this address has "
                      + http.maxConnectionsPerIp()
                      + " connections, the most allowed"));
    }
    RoomId room = new RoomId(name);
    Mode mode = json ? Mode.JSON : Mode.CLASSIC;
    Optional<PerMessageDeflate.Agreement> deflate =
        context.compression().negotiate(extensionOffers(request));
    if (context.authenticator().isEmpty()) {
      return accept(
          upgrade.get(),
          json,
          new AcceptedUpgrade(
              room, mode, address, Optional.empty(), asked.recovery(), asked.resume(), deflate));
    }
    Authenticator authenticator = context.authenticator().get();
    return onSuccess(
        UpgradeAuth.authenticate(
            authenticator,
            UpgradeAuth.connectRequest(
                request, room, upgrade.get().getRequestedProtocols(), address),
            http.askTimeout()),
        result ->
            result instanceof AuthResult.Grant grant
                ? accept(
                    upgrade.get(),
                    json,
                    new AcceptedUpgrade(
                        room,
                        mode,
                        address,
                        Optional.of(new Authenticated(grant, authenticator)),
                        asked.recovery(),
                        asked.resume(),
                        deflate))
                : complete(UpgradeAuth.response((AuthResult.Refusal) result)));
  }

  private Route accept(WebSocketUpgrade upgrade, boolean json, AcceptedUpgrade accepted) {
    return complete(
        EngineFrames.accept(
            upgrade,
            EngineConnection.flow(context, accepted),
            json ? Optional.of(JsonModeCodec.SUBPROTOCOL) : Optional.empty(),
            accepted.deflate().map(PerMessageDeflate.Agreement::response)));
  }

  /**
   * The {@code Sec-WebSocket-Extensions} offers of a request, several headers joined by commas;
   * null when there are none. Pekko HTTP models the header (or keeps it raw when it does not
   * parse): its value is read either way and parsed by {@link PerMessageDeflate}.
   */
  private static String extensionOffers(HttpRequest request) {
    String offers = null;
    for (HttpHeader header : request.getHeaders()) {
      if (header.is("sec-websocket-extensions")) {
        offers = offers == null ? header.value() : offers + "," + header.value();
      }
    }
    return offers;
  }

  /** The decoded query parameters of a request, or empty when its query does not parse. */
  private static Optional<Map<String, List<String>>> query(HttpRequest request) {
    try {
      return Optional.of(request.getUri().query().toMultiMap());
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }
}
