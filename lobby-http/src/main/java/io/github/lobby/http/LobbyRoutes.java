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
import io.github.lobby.http.internal.deflate.Compression;
import io.github.lobby.http.internal.routes.RoomRoutes;
import io.github.lobby.http.internal.ws.Admission;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.util.Objects;
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
 * routes, in a server you bind yourself (see {@link LobbyServer} for one that does it all):
 *
 * <pre>{@code
 * ActorRef<Lobby.Command> lobby =
 *     system.systemActorOf(
 *         Lobby.create(LobbySettings.fromConfig(config), LobbyRoutes.codecs()),
 *         "lobby",
 *         Props.empty());
 * Route route = LobbyRoutes.builder(system, lobby).config(config).build().route();
 * }</pre>
 */
public final class LobbyRoutes extends AllDirectives {

  private static final Logger log = LoggerFactory.getLogger(LobbyRoutes.class);

  private final HttpSettings http;
  private final AdminRoutes admin;
  private final RoomRoutes rooms;
  private final ConnectionContext context;
  private volatile boolean shuttingDown;

  private LobbyRoutes(
      ActorSystem<?> system,
      ActorRef<Lobby.Command> lobby,
      LobbySettings settings,
      HttpSettings http,
      LobbyMetrics metrics,
      Supplier<String> scrape,
      Optional<Authenticator> authenticator,
      Function<String, CompletionStage<Boolean>> adminJwt,
      CompressionSettings compression) {
    if (http.adminToken().isBlank()) {
      // Routes mounted in a server bound by hand: they start here, so the token is made here.
      http = http.withGeneratedAdminToken();
      log.info(
          "No lobby.http.admin-token configured; generated admin token for these routes: {}",
          http.adminToken());
    }
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
            authenticator,
            new Compression(compression));
    this.rooms = new RoomRoutes(context);
  }

  /**
   * Starts building the routes of a Lobby actor that the caller spawned with {@link #codecs()}.
   * Everything not set on the builder comes from the configuration ({@link Builder#config}).
   *
   * @param system the system the routes run in
   * @param lobby the Lobby actor
   * @return a builder; {@link Builder#build()} makes the routes
   */
  public static Builder builder(ActorSystem<?> system, ActorRef<Lobby.Command> lobby) {
    return new Builder(system, lobby);
  }

  /**
   * How {@link LobbyRoutes} are made; every option has a default, so {@code
   * LobbyRoutes.builder(system, lobby).build()} gives the routes the system's configuration
   * describes. Not thread-safe; each setter returns this builder.
   */
  public static final class Builder {

    private final ActorSystem<?> system;
    private ActorRef<Lobby.Command> lobby;
    private Config config;
    private LobbySettings settings;
    private HttpSettings http;
    private LobbyMetrics metrics = LobbyMetrics.NONE;
    private Supplier<String> scrape;
    private Authenticator authenticator;
    private Authentication authentication;
    private CompressionSettings compression;

    private Builder(ActorSystem<?> system, ActorRef<Lobby.Command> lobby) {
      this.system = Objects.requireNonNull(system, "system");
      this.lobby = Objects.requireNonNull(lobby, "lobby");
    }

    /**
     * A builder whose Lobby is spawned later ({@link #lobby}): {@link LobbyServer.Builder} keeps
     * the options it shares with the routes here.
     */
    Builder(ActorSystem<?> system) {
      this.system = Objects.requireNonNull(system, "system");
    }

    /** The Lobby actor, for a builder made without one. */
    Builder lobby(ActorRef<Lobby.Command> lobby) {
      this.lobby = Objects.requireNonNull(lobby, "lobby");
      return this;
    }

    /**
     * The configuration that the settings not given here are read from: {@code lobby} for {@link
     * #settings}, {@code lobby.http} for {@link #httpSettings}, {@code lobby.auth} for the {@link
     * #authenticator}. Default: the system's configuration.
     *
     * @param config a configuration with the {@code lobby} section
     */
    public Builder config(Config config) {
      this.config = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * The Lobby's settings, the same the Lobby actor was spawned with. Default: {@link
     * LobbySettings#fromConfig} of the {@link #config}.
     */
    public Builder settings(LobbySettings settings) {
      this.settings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /**
     * The HTTP settings. Default: {@link HttpSettings#fromConfig} of the {@link #config}. A blank
     * admin token is replaced by a generated one, logged once ({@link
     * HttpSettings#withGeneratedAdminToken()}).
     */
    public Builder httpSettings(HttpSettings http) {
      this.http = Objects.requireNonNull(http, "http");
      return this;
    }

    /**
     * Where connections are recorded: the same metrics the Lobby was spawned with ({@code
     * Lobby.create(settings, codecs(), federation, metrics)}). Default: {@link LobbyMetrics#NONE},
     * which records nothing at no cost.
     */
    public Builder metrics(LobbyMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics, "metrics");
      return this;
    }

    /**
     * Serves {@code GET /metrics} with what {@code scrape} renders (Prometheus text format; with
     * Prometheus, {@code prometheusRegistry::scrape}), behind the admin token unless {@code
     * lobby.http.metrics-public = on}. Default: no such route.
     */
    public Builder metricsRoute(Supplier<String> scrape) {
      this.scrape = Objects.requireNonNull(scrape, "scrape");
      return this;
    }

    /**
     * Decides on every upgrade before it is answered (401 or 403 with the JSON error body when
     * refused), and sessions carry its user (PROTOCOL.md, authentication); {@code lobby.auth},
     * {@code admin-jwt} included, then does not apply. Default: the authenticator {@code
     * lobby.auth} of the {@link #config} configures (none by default; a JWT key source is read at
     * {@link #build()}, so a bad one fails there), with {@code lobby.auth.admin-jwt} for the admin
     * API.
     */
    public Builder authenticator(Authenticator authenticator) {
      this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
      return this;
    }

    /**
     * permessage-deflate (RFC 7692) on WebSocket connections: whether clients that offer it get it,
     * from which size messages are compressed, binary ones too or not, and at which level. Default:
     * {@link CompressionSettings#fromConfig} of the {@link #config} ({@code lobby.compression}).
     */
    public Builder compression(CompressionSettings compression) {
      this.compression = Objects.requireNonNull(compression, "compression");
      return this;
    }

    /** The compression given, or null. */
    CompressionSettings compression() {
      return compression;
    }

    /** The authentication {@link LobbyServer} resolved before it spawned the Lobby. */
    Builder authentication(Authentication resolved) {
      this.authentication = resolved;
      return this;
    }

    /**
     * Makes the routes. With no admin token configured or given, a token is generated and logged
     * once.
     *
     * @throws com.typesafe.config.ConfigException when a {@code lobby} key that is read is unknown
     *     or invalid
     */
    public LobbyRoutes build() {
      Config c = config();
      Authentication auth = authentication != null ? authentication : resolveAuthentication(c);
      return new LobbyRoutes(
          system,
          Objects.requireNonNull(lobby, "lobby"),
          settings != null ? settings : LobbySettings.fromConfig(c),
          http != null ? http : HttpSettings.fromConfig(c),
          metrics,
          scrape,
          auth.authenticator(),
          auth.adminJwt(),
          compression != null ? compression : CompressionSettings.fromConfig(c));
    }

    /** The {@link #config} given, or the system's. */
    Config config() {
      return config != null ? config : system.settings().config();
    }

    /** The {@link #authenticator} given, or the one {@code lobby.auth} of {@code c} configures. */
    Authentication resolveAuthentication(Config c) {
      return Authentication.resolve(system, c, authenticator);
    }
  }

  /**
   * Who decides on upgrades, and which bearer tokens besides the admin token open the admin API.
   *
   * @param adminJwt whether a bearer token is an admin JWT ({@code lobby.auth.admin-jwt})
   */
  record Authentication(
      Optional<Authenticator> authenticator,
      Function<String, CompletionStage<Boolean>> adminJwt) {

    /**
     * The {@code given} authenticator, without admin JWTs; without one, what {@code lobby.auth}
     * configures. One that fetches keys over the network does so on Pekko's dispatcher for
     * blocking work, never on an actor's thread.
     */
    static Authentication resolve(ActorSystem<?> system, Config config, Authenticator given) {
      if (given != null) {
        return new Authentication(Optional.of(given), Authenticators.NO_ADMIN_JWT);
      }
      Optional<Authenticator> configured =
          Authenticators.fromConfig(
              config,
              LobbyRoutes.class.getClassLoader(),
              system.dispatchers().lookup(DispatcherSelector.blocking()));
      return new Authentication(configured, Authenticators.adminCheck(config, configured));
    }
  }

  /**
   * From now on {@code GET /health/ready} answers 503: call it when the server starts to stop,
   * before its sessions are closed ({@link LobbyServer} does).
   */
  public void shuttingDown() {
    shuttingDown = true;
  }

  /**
   * The wire codecs of both modes, to spawn the Lobby with: {@code Lobby.create(settings,
   * codecs())}.
   */
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
