package io.github.lobby.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import io.github.lobby.core.Lobby;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/** A real Lobby server on 127.0.0.1 and a free port, in its own ActorSystem. */
final class TestServer implements AutoCloseable {

  static final String TOKEN = "test-admin-token";

  final ActorSystem<Void> system;
  final LobbyServer server;
  final HttpClient http = HttpClient.newHttpClient();

  TestServer(String extraConfig) {
    this(extraConfig, null);
  }

  /** A server whose upgrades {@code authenticator} decides (null: as configured). */
  TestServer(String extraConfig, io.github.lobby.core.auth.Authenticator authenticator) {
    Config config =
        ConfigFactory.parseString(extraConfig)
            .withFallback(
                ConfigFactory.parseString(
                    "lobby.http { host = 127.0.0.1, port = 0, admin-token = \"" + TOKEN + "\" }\n"
                        + "pekko.loglevel = WARNING\n"))
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create(Behaviors.empty(), "test", config);
    LobbyServer.Builder builder = LobbyServer.builder(system).config(config);
    if (authenticator != null) {
      builder.authenticator(authenticator);
    }
    server = builder.start().toCompletableFuture().join();
  }

  TestServer() {
    this("");
  }

  URI ws(String path) {
    return URI.create("ws://127.0.0.1:" + port() + path);
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  int port() {
    return server.localAddress().getPort();
  }

  HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  HttpResponse<String> adminGet(String path) {
    return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + TOKEN).GET());
  }

  HttpResponse<String> adminPost(String path, String json) {
    return send(
        HttpRequest.newBuilder(uri(path))
            .header("Authorization", "Bearer " + TOKEN)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  /** The Lobby's own counts, live actors included. */
  Lobby.Stats stats() {
    return AskPattern.<Lobby.AdminCommand, Lobby.Stats>ask(
            server.lobby(), Lobby.GetStats::new, Duration.ofSeconds(5), system.scheduler())
        .toCompletableFuture()
        .join();
  }

  /** Waits up to 20 seconds for the Lobby to reach these counts. */
  void awaitStats(Lobby.Stats expected) {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    Lobby.Stats now = stats();
    while (!now.equals(expected) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
      now = stats();
    }
    if (!now.equals(expected)) {
      throw new AssertionError("expected " + expected + " but the Lobby has " + now);
    }
  }

  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }
}
