package io.github.lobby.testkit;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Lobby;
import io.github.lobby.http.LobbyServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.server.Route;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that runs a real {@link LobbyServer} on 127.0.0.1 and a free port, in an
 * ActorSystem of its own, with a known admin token. Register it as a field:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final LobbyServerExtension server =
 *     LobbyServerExtension.create().withConfig("lobby.max-sessions = 10");
 * }</pre>
 *
 * <p>On a {@code static} field one server serves every test of the class; on an instance field
 * each test gets a fresh one. The server stops (sessions closed with 1001) and its ActorSystem
 * terminates after the class, or after the test.
 *
 * <p>Configuration, highest precedence first: {@link #withConfig} overrides, then this
 * extension's own ({@code lobby.http.host = 127.0.0.1}, {@code port = 0}, {@code admin-token =}
 * {@value #ADMIN_TOKEN}, {@code pekko.loglevel = WARNING}), then {@link ConfigFactory#load()}.
 */
public final class LobbyServerExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  /** The admin token, unless the configuration sets {@code lobby.http.admin-token}. */
  public static final String ADMIN_TOKEN = "lobby-test-admin-token";

  private final Config overrides;
  private final Route routes;
  private final HttpClient http = HttpClient.newHttpClient();
  private ActorSystem<Void> system;
  private LobbyServer server;
  private boolean perClass;

  private LobbyServerExtension(Config overrides, Route routes) {
    this.overrides = overrides;
    this.routes = routes;
  }

  /** An extension with the default configuration. */
  public static LobbyServerExtension create() {
    return new LobbyServerExtension(ConfigFactory.empty(), null);
  }

  /** A copy with these configuration overrides (HOCON), on top of the ones given before. */
  public LobbyServerExtension withConfig(String hocon) {
    return withConfig(ConfigFactory.parseString(hocon));
  }

  /** A copy with these configuration overrides, on top of the ones given before. */
  public LobbyServerExtension withConfig(Config config) {
    return new LobbyServerExtension(config.withFallback(overrides), routes);
  }

  /** A copy that also serves these routes of the application's, tried before the Lobby's. */
  public LobbyServerExtension withRoutes(Route own) {
    return new LobbyServerExtension(overrides, own);
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    perClass = true;
    start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    stop();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    if (!perClass) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    if (!perClass) {
      stop();
    }
  }

  /**
   * Starts the server now; the extension's callbacks do this themselves. For use without JUnit's
   * lifecycle (then call {@link #stop()}).
   */
  public synchronized void start() {
    if (server != null) {
      return;
    }
    Config config =
        overrides
            .withFallback(
                ConfigFactory.parseString(
                    "lobby.http { host = 127.0.0.1, port = 0, admin-token = \""
                        + ADMIN_TOKEN
                        + "\" }\npekko.loglevel = WARNING\n"))
            .withFallback(ConfigFactory.load())
            .resolve();
    system = ActorSystem.create(Behaviors.empty(), "lobby-test", config);
    LobbyServer.Builder builder = LobbyServer.builder(system).config(config);
    if (routes != null) {
      builder.routes(routes);
    }
    try {
      server = builder.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      terminate();
      throw new IllegalStateException("the Lobby server did not start", e);
    }
  }

  /**
   * Stops the server (every session closed with 1001) and terminates its ActorSystem; the
   * extension's callbacks do this themselves.
   */
  public synchronized void stop() {
    if (system != null) {
      terminate();
    }
    server = null;
  }

  private void terminate() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
    system = null;
  }

  private LobbyServer running() {
    if (server == null) {
      throw new IllegalStateException(
          "no server running: register the extension with @RegisterExtension, or call start()");
    }
    return server;
  }

  /** The running server. */
  public LobbyServer server() {
    return running();
  }

  /** The server's ActorSystem. */
  public ActorSystem<Void> system() {
    running();
    return system;
  }

  /** The port the server listens on. */
  public int port() {
    return running().localAddress().getPort();
  }

  /** The admin API's bearer token. */
  public String adminToken() {
    return running().adminToken();
  }

  /** The Lobby, narrowed to what an application may send (see {@link LobbyServer#lobby()}). */
  public ActorRef<Lobby.AdminCommand> lobby() {
    return running().lobby();
  }

  /** {@code ws://127.0.0.1:<port>/<room>}; a leading slash on {@code room} is allowed. */
  public URI ws(String room) {
    return URI.create("ws://127.0.0.1:" + port() + "/" + strip(room));
  }

  /** {@code http://127.0.0.1:<port>/<path>}; a leading slash on {@code path} is allowed. */
  public URI http(String path) {
    return URI.create("http://127.0.0.1:" + port() + "/" + strip(path));
  }

  private static String strip(String path) {
    return path.startsWith("/") ? path.substring(1) : path;
  }

  /** A classic-mode client in this room. */
  public TestClient connect(String room) {
    return TestClient.connect(ws(room));
  }

  /** A JSON-mode client in this room. */
  public TestClient connectJson(String room) {
    return TestClient.connectJson(ws(room));
  }

  /** {@code GET path} without credentials. */
  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(http(path)).GET());
  }

  /** {@code GET path} with the admin token. */
  public HttpResponse<String> adminGet(String path) {
    return send(HttpRequest.newBuilder(http(path)).header("Authorization", bearer()).GET());
  }

  /** {@code POST path} of a JSON body with the admin token. */
  public HttpResponse<String> adminPost(String path, String json) {
    return send(
        HttpRequest.newBuilder(http(path))
            .header("Authorization", bearer())
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private String bearer() {
    return "Bearer " + adminToken();
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The Lobby's counts, asked directly. */
  public Lobby.Stats stats() {
    return AskPattern.<Lobby.AdminCommand, Lobby.Stats>ask(
            lobby(), Lobby.GetStats::new, Duration.ofSeconds(5), system().scheduler())
        .toCompletableFuture()
        .join();
  }

  /** Waits up to {@code timeout} until the Lobby holds this many sessions, and fails otherwise. */
  public void awaitSessions(int sessions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Lobby.Stats now = stats();
    while (now.sessions() != sessions && System.nanoTime() < deadline) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
      now = stats();
    }
    if (now.sessions() != sessions) {
      throw new AssertionError("expected " + sessions + " sessions, the Lobby has " + now);
    }
  }
}
