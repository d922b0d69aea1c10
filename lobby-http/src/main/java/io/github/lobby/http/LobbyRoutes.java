package io.github.lobby.http;

import com.typesafe.config.Config;
import io.github.lobby.core.Codecs;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.http.auth.Authenticators;
import io.github.lobby.http.codec.ClassicCodec;
import io.github.lobby.http.codec.JsonModeCodec;
import io.github.lobby.http.internal.routes.AdminRoutes;
import io.github.lobby.http.internal.routes.HttpErrors;
import io.github.lobby.http.internal.routes.RoomRoutes;
import io.github.lobby.http.internal.ws.Admission;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.http.javadsl.model.StatusCodes;
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
  private final RoomRoutes rooms;
  private final ConnectionContext context;
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
        new ConnectionContext(
            lobby,
            system.scheduler(),
            settings,
            http,
            new Admission(settings.maxSessions(), http.maxConnectionsPerIp()),
            metrics,
            authenticator);
    this.rooms = new RoomRoutes(context);
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

  /** What the WebSocket connections of both paths share. */
  ConnectionContext context() {
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
                pathPrefix(
                    "rooms",
                    () -> complete(HttpErrors.error(StatusCodes.NOT_FOUND, "no such resource"))),
                rooms.route()));
  }
}
