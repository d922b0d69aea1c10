package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.LobbyServer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import io.github.lobby.testkit.TestClient;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The example server's {@code GET /metrics}: a scripted session over real sockets, then a scrape
 * whose counters must have moved by exactly what the session did.
 */
class MetricsTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "metrics-test-admin-token";

  private ActorSystem<?> system;

  @AfterEach
  void stop() {
    if (system != null) {
      system.terminate();
      system.getWhenTerminated().toCompletableFuture().join();
    }
  }

  private int start(String extra) throws Exception {
    Config config =
        ConfigFactory.parseString(
                extra
                    + "\nlobby.http.port = 0\nlobby.http.admin-token = "
                    + TOKEN
                    // No Pings during the test: a Pong would count against the inbound rate.
                    + "\nlobby.heartbeat-interval = 60s\nlobby.client-timeout = 120s"
                    // A byte rate no lower than the largest message, as the settings require.
                    + "\nlobby.max-inbound-bytes-per-second = 2 KiB\nlobby.max-message-bytes = 2 KiB\n")
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> s = ActorSystem.create(Behaviors.empty(), "lobby", config);
    system = s;
    LobbyServer server = ExampleServer.start(s, config).toCompletableFuture().get();
    return server.localAddress().getPort();
  }

  @Test
  void countersMoveByExactlyWhatAScriptedSessionDid() throws Exception {
    int port = start("");
    String before = scrape(port);
    assertEquals(0, value(before, "lobby_sessions"));
    assertEquals(0, value(before, "lobby_deliveries_total"));

    List<String> sent = new ArrayList<>();
    TestClient alice = Client.join(port, "m");
    String aliceId = type(next(alice), "welcome").get("id").asText();
    TestClient bob = Client.join(port, "m");
    String bobId = type(next(bob), "welcome").get("id").asText();
    type(next(alice), "joined");

    for (int i = 0; i < 3; i++) {
      send(alice, sent, "{\"type\":\"message\",\"msg\":\"hi " + i + " \u00e9\"}");
      type(next(alice), "message");
      type(next(bob), "message");
    }
    send(alice, sent, "{\"type\":\"whisper\",\"to\":\"" + bobId + "\",\"msg\":\"psst\"}");
    type(next(bob), "whisper");
    send(alice, sent, "{\"type\":\"whisper\",\"to\":\"" + UUID.randomUUID() + "\",\"msg\":\"?\"}");
    type(next(alice), "error");

    HttpResponse<String> pushed =
        Client.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/rooms/m/messages"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"notice\":1}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, pushed.statusCode());
    type(next(alice), "message");
    type(next(bob), "message");
    String during = scrape(port);
    assertEquals(2, value(during, "lobby_sessions"));
    assertEquals(1, value(during, "lobby_rooms"));

    // Carol is alone in her room and sends 4 messages of about 1,530 bytes against a byte rate of
    // 2 KiB a second (and as much burst): the first fits the burst, the other 3 are throttled.
    TestClient carol = Client.join(port, "c");
    type(next(carol), "welcome");
    String big = "x".repeat(1_500);
    for (int i = 0; i < 4; i++) {
      send(carol, sent, "{\"type\":\"message\",\"msg\":\"" + big + "\"}");
      type(next(carol), "message");
    }

    bob.socket().sendClose(WebSocket.NORMAL_CLOSURE, "bye").orTimeout(5, TimeUnit.SECONDS).join();
    JsonNode left = type(next(alice), "left");
    assertEquals(bobId, left.get("id").asText());

    // alice: welcome, joined, 3 messages, no_session, push, left; bob: welcome, 3 messages,
    // whisper, push; carol: welcome, 4 echoes of her broadcasts.
    List<String> received = new ArrayList<>();
    received.addAll(seen(alice));
    received.addAll(seen(bob));
    received.addAll(seen(carol));
    assertEquals(19, received.size());
    // A room counts its deliveries once its fan-out is done, and a frame offered to an idle
    // socket is written during the fan-out: the last client may read it a moment before the
    // count moves. Wait (bounded) for the count to settle, then check every value exactly.
    String after = scrape(port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (value(after, "lobby_deliveries_total") < received.size() && System.nanoTime() < deadline) {
      Thread.sleep(20);
      after = scrape(port);
    }
    assertEquals(19, value(after, "lobby_deliveries_total"));
    assertEquals(utf8(received), value(after, "lobby_deliveries_bytes_total"));
    assertEquals(9, value(after, "lobby_client_messages_total{type=\"text\"}"));
    assertEquals(utf8(sent), value(after, "lobby_client_bytes_total"));
    assertEquals(7, value(after, "lobby_broadcast_fanout_count"));
    assertEquals(3 * 2 + 4 * 1, value(after, "lobby_broadcast_fanout_sum"));
    assertEquals(7, value(after, "lobby_broadcast_latency_seconds_count"));
    assertEquals(1, value(after, "lobby_whispers_total{outcome=\"delivered\"}"));
    assertEquals(1, value(after, "lobby_whispers_total{outcome=\"no_session\"}"));
    assertEquals(1, value(after, "lobby_admin_pushes_total"));
    assertEquals(3, value(after, "lobby_rate_limited_total{action=\"throttled\"}"));
    assertEquals(0, value(after, "lobby_rate_limited_total{action=\"closed\"}"));
    assertEquals(0, value(after, "lobby_slow_consumers_total"));
    assertEquals(3, value(after, "lobby_connections_opened_total"));
    assertEquals(1, value(after, "lobby_connections_closed_total{code=\"1000\",reason=\"client\"}"));
    assertEquals(2, value(after, "lobby_sessions"));
    assertEquals(2, value(after, "lobby_rooms"));
    assertTrue(after.contains("lobby_outbound_queue_depth_count"), after);
    assertTrue(aliceId.length() > 0);
  }

  @Test
  void metricsNeedTheAdminTokenUnlessPublic() throws Exception {
    int port = start("");
    assertEquals(401, Client.get(port, "/metrics").statusCode());
    HttpResponse<String> ok = Client.get(port, "/metrics", "Authorization", "Bearer " + TOKEN);
    assertEquals(200, ok.statusCode());
    assertTrue(
        ok.headers().firstValue("Content-Type").orElseThrow().startsWith("text/plain"), ok.headers().toString());
    stop();
    int open = start("lobby.http.metrics-public = on");
    HttpResponse<String> public_ = Client.get(open, "/metrics");
    assertEquals(200, public_.statusCode());
    assertTrue(public_.body().contains("lobby_sessions 0.0"), public_.body());
  }

  private static void send(TestClient client, List<String> sent, String text) {
    sent.add(text);
    client.socket().sendText(text, true).join();
  }

  /** Every text frame each client has received, whether or not the test has read it yet. */
  private final Map<TestClient, List<String>> seen = new HashMap<>();

  private String next(TestClient client) {
    String frame = client.next();
    seen.computeIfAbsent(client, c -> new ArrayList<>()).add(frame);
    return frame;
  }

  private List<String> seen(TestClient client) {
    while (client.pending() > 0) {
      next(client);
    }
    return seen.getOrDefault(client, List.of());
  }

  private static JsonNode type(String frame, String type) throws Exception {
    JsonNode node = JSON.readTree(frame);
    assertEquals(type, node.get("type").asText(), frame);
    return node;
  }

  private static long utf8(List<String> texts) {
    return texts.stream().mapToLong(t -> t.getBytes(StandardCharsets.UTF_8).length).sum();
  }

  private static String scrape(int port) throws Exception {
    HttpResponse<String> response = Client.get(port, "/metrics", "Authorization", "Bearer " + TOKEN);
    assertEquals(200, response.statusCode(), response.body());
    return response.body();
  }

  /** The value of one sample, its labels written as the registry writes them; 0 when absent. */
  static double value(String scrape, String sample) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(sample) + " (\\S+)$").matcher(scrape);
    if (!m.find()) {
      if (sample.contains("{") || sample.startsWith("lobby_")) {
        return 0;
      }
      throw new AssertionError("no " + sample + " in\n" + scrape);
    }
    return Double.parseDouble(m.group(1));
  }
}
