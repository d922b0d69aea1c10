package io.github.lobby.examples;

import io.github.lobby.testkit.TestClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
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
    return get(HTTP, port, path, headers);
  }

  /** A GET with a client of the test's own (one with a cookie jar, say). */
  static HttpResponse<String> get(HttpClient http, int port, String path, String... headers)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(20, TimeUnit.SECONDS);
  }

  /** The status, head and body of an HTTP answer read off a socket. */
  record Answer(int status, String head, String body) {}

  /**
   * A WebSocket upgrade written on a plain socket, as {@code curl} sends one, for the answers the
   * JDK's WebSocket client does not show: a refusal's headers and body. Not for upgrades that
   * succeed.
   */
  static Answer refusedUpgrade(int port, String target, String... headerLines) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      StringBuilder request =
          new StringBuilder("GET ")
              .append(target)
              .append(" HTTP/1.1\r\nHost: 127.0.0.1:")
              .append(port)
              .append("\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n")
              .append("Sec-WebSocket-Version: 13\r\n")
              .append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
      for (String line : headerLines) {
        request.append(line).append("\r\n");
      }
      request.append("\r\n");
      socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("the connection closed within the head: " + head);
        }
        head.write(b);
      }
      String headText = head.toString(StandardCharsets.US_ASCII);
      int length = 0;
      for (String line : headText.split("\r\n")) {
        if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
          length = Integer.parseInt(line.substring("content-length:".length()).strip());
        }
      }
      String body = new String(in.readNBytes(length), StandardCharsets.UTF_8);
      return new Answer(Integer.parseInt(headText.split(" ", 3)[1]), headText, body);
    }
  }
}
