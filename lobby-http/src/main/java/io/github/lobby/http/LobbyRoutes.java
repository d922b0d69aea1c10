package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.Codecs;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Recovery;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticated;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.auth.Authenticators;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.DispatcherSelector;
import io.github.lobby.http.codec.ClassicCodec;
import io.github.lobby.http.codec.JsonModeCodec;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.RemoteAddress;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.ws.WebSocketUpgrade;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every HTTP route of a Lobby server: WebSocket rooms at {@code GET /{room}}, the admin API and
 * the health check. Holds no state of its own but the connection count that {@code
 * lobby.max-sessions} is checked against; mount {@link #route()} alone, or next to your own
 * routes, in a server you bind yourself (see {@code LobbyServer} for one that does it all).
 */
public final class LobbyRoutes extends AllDirectives {

  private final LobbySettings settings;
  private final HttpSettings http;
  private final AdminRoutes admin;
  private final SessionFlow.Context context;
  private volatile boolean shuttingDown;

  private static final Logger log = LoggerFactory.getLogger(LobbyRoutes.class);

  private LobbyRoutes(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbySettings settings,
      HttpSettings http,
      LobbyMetrics metrics,
      Supplier<String> scrape,
      Optional<Authenticator> authenticator,
      Function<String, CompletionStage<Boolean>> adminJwt) {
    if (http.adminToken().isBlank()) {
      // Routes mounted in a server bound by hand: they start here, so the token is made here.
      http = http.withGeneratedAdminToken();
      log.info(
          "No lobby.http.admin-token configured; generated admin token for these routes: {}",
          http.adminToken());
    }
    this.settings = settings;
    this.http = http;
    this.admin =
        new AdminRoutes(system, lobby.narrow(), http, () -> !shuttingDown, scrape, adminJwt);
    this.context =
        new SessionFlow.Context(
            lobby,
            system.scheduler(),
            settings,
            http,
            new Admission(settings.maxSessions(), http.maxConnectionsPerIp()),
            metrics,
            authenticator);
  }

  /**
   * Creates the routes for a Lobby actor that the caller spawned with {@link #codecs()}. With no
   * {@code lobby.http.admin-token} configured, a token is generated and logged once. Upgrades are
   * authenticated as {@code lobby.auth} says (none by default; a JWT key source is read here, so a
   * bad one fails now), and {@code lobby.auth.admin-jwt} applies to the admin API.
   *
   * @param config a configuration with the {@code lobby} section (usually the system's)
   * @throws com.typesafe.config.ConfigException when a {@code lobby} key is unknown or invalid
   */
  public static LobbyRoutes create(
      ActorSystem<?> system, ActorRef<Lobby.Command> lobby, Config config) {
    Optional<Authenticator> authenticator = authenticator(system, config);
    return create(
        system,
        lobby,
        LobbySettings.fromConfig(config),
        HttpSettings.fromConfig(config),
        LobbyMetrics.NONE,
        null,
        authenticator,
        Authenticators.adminCheck(config, authenticator));
  }

  /**
   * The overloads without an authenticator run without authentication: one whose system is
   * configured for it ({@code lobby.auth.mode} other than {@code none}) fails rather than let
   * everybody in.
   */
  private static void requireNoConfiguredAuth(ActorSystem<?> system) {
    Config config = system.settings().config();
    String path = "lobby.auth.mode";
    if (config.hasPath(path) && !"none".equals(config.getString(path))) {
      throw new com.typesafe.config.ConfigException.BadValue(
          config.origin(),
          path,
          "is \""
              + config.getString(path)
              + "\", but these routes were created without an authenticator: create them with"
              + " create(system, lobby, config), or pass the authenticator"
              + " (Authenticators.fromConfig)");
    }
  }

  /**
   * The authenticator {@code lobby.auth} configures; one that fetches keys over the network does so
   * on Pekko's dispatcher for blocking work, never on an actor's thread.
   */
  static Optional<Authenticator> authenticator(ActorSystem<?> system, Config config) {
    return Authenticators.fromConfig(
        config,
        LobbyRoutes.class.getClassLoader(),
        system.dispatchers().lookup(DispatcherSelector.blocking()));
  }

  /**
   * Creates the routes from settings already read. A blank admin token is replaced by a generated
   * one, logged once ({@link HttpSettings#withGeneratedAdminToken()}).
   */
  public static LobbyRoutes create(
      ActorSystem<?> system, ActorRef<Lobby.Command> lobby, LobbySettings settings, HttpSettings http) {
    return create(system, lobby, settings, http, LobbyMetrics.NONE, null);
  }

  /**
   * Creates the routes with metrics: connections are recorded in {@code metrics} (the same that
   * the Lobby was spawned with, {@code Lobby.create(settings, codecs(), federation, metrics)}), and
   * {@code GET /metrics} answers what {@code scrape} renders (Prometheus text format), behind the
   * admin token unless {@code lobby.http.metrics-public = on}.
   *
   * @param scrape renders the meters, or null for no {@code /metrics} route
   */
  public static LobbyRoutes create(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbySettings settings,
      HttpSettings http,
      LobbyMetrics metrics,
      Supplier<String> scrape) {
    requireNoConfiguredAuth(system);
    return create(system, lobby, settings, http, metrics, scrape, Optional.empty());
  }

  /**
   * Creates the routes with metrics and an authenticator: every upgrade is decided by {@code
   * authenticator} before it is answered (401 or 403 with the JSON error body when refused), and
   * sessions carry their user (PROTOCOL.md, authentication).
   *
   * @param authenticator decides on upgrades; empty for none (anonymous sessions)
   */
  public static LobbyRoutes create(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbySettings settings,
      HttpSettings http,
      LobbyMetrics metrics,
      Supplier<String> scrape,
      Optional<Authenticator> authenticator) {
    return create(
        system, lobby, settings, http, metrics, scrape, authenticator, Authenticators.NO_ADMIN_JWT);
  }

  /**
   * Like {@link #create(ActorSystem, ActorRef, LobbySettings, HttpSettings, LobbyMetrics, Supplier,
   * Optional)}, also opening the admin API to the bearer tokens {@code adminJwt} accepts ({@link
   * Authenticators#adminCheck}).
   */
  public static LobbyRoutes create(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbySettings settings,
      HttpSettings http,
      LobbyMetrics metrics,
      Supplier<String> scrape,
      Optional<Authenticator> authenticator,
      Function<String, CompletionStage<Boolean>> adminJwt) {
    return new LobbyRoutes(system, lobby, settings, http, metrics, scrape, authenticator, adminJwt);
  }

  /**
   * From now on {@code GET /health/ready} answers 503: call it when the server starts to stop,
   * before its sessions are closed ({@link LobbyServer} does).
   */
  public void shuttingDown() {
    shuttingDown = true;
  }

  /** The wire codecs of both modes, to spawn the Lobby with: {@code Lobby.create(settings, codecs())}. */
  public static Codecs codecs() {
    return new Codecs(ClassicCodec.INSTANCE, JsonModeCodec.INSTANCE);
  }

  /** The HTTP settings in force, including the admin token. */
  public HttpSettings httpSettings() {
    return http;
  }

  /** The per-connection settings that both connection paths share. */
  SessionFlow.Context context() {
    return context;
  }

  /** How many WebSocket connections are open now. */
  public int activeConnections() {
    return context.admission().total();
  }

  /** The complete route; every error is answered with the JSON error body. */
  public Route route() {
    return handleRejections(
        HttpErrors.rejectionHandler(),
        () ->
            concat(
                admin.route(),
                pathPrefix("rooms", () -> complete(HttpErrors.error(StatusCodes.NOT_FOUND, "no such resource"))),
                extractRequest(this::room)));
  }

  /** {@code GET /{room}}: validates, then upgrades to a session of the chosen mode. */
  private Route room(HttpRequest request) {
    String path = request.getUri().path();
    String name = path.startsWith("/") ? path.substring(1) : path;
    Optional<HttpResponse> invalid = HttpErrors.invalidRoom(name);
    if (invalid.isPresent()) {
      return complete(invalid.get());
    }
    if (!request.method().name().equals("GET")) {
      return complete(
          HttpErrors.error(StatusCodes.METHOD_NOT_ALLOWED, "a room is joined with GET and a WebSocket upgrade"));
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
    Optional<Recovery> recovery = asked.recovery();
    Optional<Resume> resume = asked.resume();
    Optional<String> origin = request.getHeader("Origin").map(HttpHeader::value);
    if (origin.isPresent()
        && !http.allowedOrigins().isEmpty()
        && http.allowedOrigins().stream().noneMatch(origin.get()::equalsIgnoreCase)) {
      return complete(
          HttpErrors.error(StatusCodes.FORBIDDEN, "WebSocket connections from this origin are not allowed"));
    }
    Optional<InetAddress> address =
        request.getAttribute(AttributeKeys.remoteAddress).flatMap(RemoteAddress::getAddress);
    Optional<Admission.Refusal> refused = context.admission().check(address);
    if (refused.isPresent()) {
      return complete(
          refused.get() == Admission.Refusal.SERVER_FULL
              ? HttpErrors.error(
                  StatusCodes.SERVICE_UNAVAILABLE,
                  "the server is at its connection limit of " + settings.maxSessions())
              : HttpErrors.error(
                  StatusCodes.TOO_MANY_REQUESTS,
                  "this address has " + http.maxConnectionsPerIp() + " connections, the most allowed"));
    }
    RoomId room = new RoomId(name);
    if (context.authenticator().isEmpty()) {
      return accept(upgrade.get(), room, json, address, Optional.empty(), recovery, resume);
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
                    room,
                    json,
                    address,
                    Optional.of(new Authenticated(grant, authenticator)),
                    recovery,
                    resume)
                : complete(UpgradeAuth.response((AuthResult.Refusal) result)));
  }

  private Route accept(
      WebSocketUpgrade upgrade,
      RoomId room,
      boolean json,
      Optional<InetAddress> address,
      Optional<Authenticated> auth,
      Optional<Recovery> recovery,
      Optional<Resume> resume) {
    Mode mode = json ? Mode.JSON : Mode.CLASSIC;
    return complete(
        EngineFrames.accept(
            upgrade,
            SessionFlow.create(context, room, mode, address, auth, recovery, resume),
            json ? Optional.of(JsonModeCodec.SUBPROTOCOL) : Optional.empty()));
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
