package io.github.lobby.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.http.codec.WireJson;
import java.net.URI;

/** JSON-mode clients and frames for the socket tests. */
final class JsonFrames {

  private JsonFrames() {}

  /** A JSON-mode client (the JDK's) of the server on {@code port}. */
  static JdkClient json(int port, String target) {
    return new JdkClient(URI.create("ws://127.0.0.1:" + port + target), "lobby.v1.json");
  }

  static JsonNode parse(String text) {
    return WireJson.parse(text).orElseThrow(() -> new AssertionError("not JSON: " + text));
  }

  /** The next frame of {@code type}, skipping the others (joins and departures). */
  static JsonNode next(JdkClient client, String type) {
    while (true) {
      JsonNode frame = parse(client.next());
      if (frame.get("type").asText().equals(type)) {
        return frame;
      }
    }
  }

  /** The next frame on a raw socket, skipping Pings. */
  static JsonNode next(RawClient client) throws java.io.IOException {
    return parse(client.readFrameSkippingPings().text());
  }

  /** The next frame of {@code type} on a raw socket, skipping Pings and the other frames. */
  static JsonNode next(RawClient client, String type) throws java.io.IOException {
    while (true) {
      JsonNode frame = parse(client.readFrameSkippingPings().text());
      if (frame.get("type").asText().equals(type)) {
        return frame;
      }
    }
  }
}
