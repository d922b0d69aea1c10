package io.github.lobby.examples;

import io.github.lobby.testkit.TestClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The JDK's HTTP client, and the testkit's WebSocket client, against a server on 127.0.0.1. */
final class Client {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  private Client() {}

  /** A JSON-mode session in {@code room}. */
  static TestClient join(int port, String room) {
    return TestClient.connectJson(URI.create("ws://127.0.0.1:" + port + "/" + room));
  }

  static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(20, TimeUnit.SECONDS);
  }
}
