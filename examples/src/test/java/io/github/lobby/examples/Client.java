package io.github.lobby.examples;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** The JDK's HTTP and WebSocket clients against a server on 127.0.0.1. */
final class Client implements WebSocket.Listener {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  final LinkedBlockingQueue<String> received = new LinkedBlockingQueue<>();
  /** Every text frame received, in order, whether or not {@link #next()} has taken it. */
  final List<String> seen = new CopyOnWriteArrayList<>();
  private final StringBuilder text = new StringBuilder();
  final WebSocket socket;

  private Client(URI uri) {
    socket =
        HTTP.newWebSocketBuilder()
            .subprotocols("lobby.v1.json")
            .buildAsync(uri, this)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
  }

  /** A JSON-mode session in {@code room}. */
  static Client join(int port, String room) {
    return new Client(URI.create("ws://127.0.0.1:" + port + "/" + room));
  }

  static HttpResponse<String> get(int port, String path, String... headers) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (headers.length > 0) {
      request.headers(headers);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      seen.add(text.toString());
      received.add(text.toString());
      text.setLength(0);
    }
    ws.request(1);
    return null;
  }

  /** The next text frame, waiting up to 10 seconds. */
  String next() throws InterruptedException {
    String frame = received.poll(10, TimeUnit.SECONDS);
    if (frame == null) {
      throw new AssertionError("no frame within 10 s");
    }
    return frame;
  }

  void close() {
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").orTimeout(5, TimeUnit.SECONDS).join();
  }

  static <T> T await(CompletableFuture<T> future) throws Exception {
    return future.get(20, TimeUnit.SECONDS);
  }
}
