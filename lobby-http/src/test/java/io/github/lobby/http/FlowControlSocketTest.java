package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.http.codec.WireJson;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Inbound flow control over real sockets: the rate limit slows a client down instead of closing
 * it, and one client's flood of any request kind leaves the server responsive to others.
 */
class FlowControlSocketTest {

  private static final String JSON_MODE = "Sec-WebSocket-Protocol: lobby.v1.json\r\n";

  private static JsonNode json(JdkClient client) {
    return WireJson.parse(client.next()).orElseThrow();
  }

  /** A message as the witness received it. */
  private record Arrival(long at, JsonNode frame) {}

  @Test
  void aWindowedPublisherOverTheRateIsThrottledNotClosedAndEveryMessageArrivesInOrder()
      throws Exception {
    int limit = 50;
    try (TestServer server = new TestServer("lobby.max-inbound-per-second = " + limit)) {
      JdkClient publisher = JdkClient.connectJson(server, "/throttle");
      String publisherId = json(publisher).get("id").asText();
      JdkClient witness = JdkClient.connectJson(server, "/throttle");
      json(witness);
      json(publisher); // the witness joined

      List<Arrival> arrivals = new ArrayList<>();
      java.util.concurrent.atomic.AtomicInteger expected =
          new java.util.concurrent.atomic.AtomicInteger(Integer.MAX_VALUE);
      ExecutorService reader = Executors.newSingleThreadExecutor();
      Future<?> reading =
          reader.submit(
              () -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (arrivals.size() < expected.get() && System.nanoTime() < deadline) {
                  Object message = witness.received.poll(100, TimeUnit.MILLISECONDS);
                  if (message != null) {
                    arrivals.add(
                        new Arrival(System.nanoTime(), WireJson.parse((String) message).orElseThrow()));
                  }
                }
                return null;
              });

      // As fast as its own messages come back, with up to 25 on the way: it would send thousands
      // per second if nothing held it back.
      long start = System.nanoTime();
      int sent = 0;
      int echoed = 0;
      while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(4)) {
        while (sent - echoed >= 25) {
          assertEquals(echoed, json(publisher).get("msg").asInt());
          echoed++;
        }
        publisher.send("{\"type\":\"message\",\"msg\":" + sent + "}");
        sent++;
      }
      while (echoed < sent) {
        assertEquals(echoed, json(publisher).get("msg").asInt());
        echoed++;
      }
      expected.set(sent);
      reading.get(20, TimeUnit.SECONDS);
      reader.shutdown();

      assertFalse(publisher.closeCode.isDone(), "the publisher was closed");
      assertEquals(sent, arrivals.size(), "every message reached the witness");
      for (int i = 0; i < sent; i++) {
        JsonNode frame = arrivals.get(i).frame();
        assertEquals(publisherId, frame.get("id").asText());
        assertEquals(i, frame.get("msg").asInt(), "in order");
      }
      // After the burst (one second's worth, gone at once), the limit holds the publisher.
      long from = start + TimeUnit.MILLISECONDS.toNanos(1500);
      long to = start + TimeUnit.MILLISECONDS.toNanos(4000);
      long inWindow = arrivals.stream().filter(a -> a.at() >= from && a.at() < to).count();
      double rate = inWindow / 2.5;
      assertTrue(
          rate >= limit * 0.9 && rate <= limit * 1.1,
          "held to " + rate + " messages/s, limit " + limit + " (" + sent + " sent in 4 s)");
      publisher.close();
      witness.close();
    }
  }

  @Test
  void floodsOfBroadcastsMembersRequestsAndWhispersLeaveTheServerResponsive() throws Exception {
    try (TestServer server = new TestServer()) {
      JdkClient witness = JdkClient.connectJson(server, "/flooded");
      String witnessId = json(witness).get("id").asText();
      String[] floods = {
        "{\"type\":\"message\",\"msg\":\"flood\"}",
        "{\"type\":\"members\"}",
        "{\"type\":\"whisper\",\"to\":\"" + witnessId + "\",\"msg\":\"flood\"}",
      };
      for (String flood : floods) {
        RawClient flooder = new RawClient(server.port(), "/flooded", JSON_MODE);
        flooder.readFrame(); // welcome
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        long floodStart = System.nanoTime(); // before its first frame: the limit counts from there
        Future<Integer> writer =
            threads.submit(
                () -> {
                  int n = 0;
                  try {
                    while (running.get()) {
                      flooder.sendText(flood);
                      n++;
                    }
                  } catch (IOException closedAtTheEnd) {
                    // the test closes the socket under the writer
                  }
                  return n;
                });
        java.util.concurrent.atomic.AtomicInteger answers = new java.util.concurrent.atomic.AtomicInteger();
        Future<?> drain =
            threads.submit(
                () -> {
                  try {
                    while (true) {
                      if (flooder.readFrame().opcode() == 0x1) {
                        answers.incrementAndGet(); // its echoes, or its members replies
                      }
                    }
                  } catch (IOException closedAtTheEnd) {
                    return null;
                  }
                });

        // While it floods: /health answers, and a new client joins another room and is welcomed.
        long worstHealth = 0;
        while (System.nanoTime() - floodStart < TimeUnit.SECONDS.toNanos(3)) {
          long asked = System.nanoTime();
          HttpResponse<String> health = server.get("/health");
          worstHealth = Math.max(worstHealth, System.nanoTime() - asked);
          assertEquals(200, health.statusCode());
          Thread.sleep(50);
        }
        long joinAsked = System.nanoTime();
        JdkClient newcomer = JdkClient.connectJson(server, "/quiet");
        assertEquals("welcome", json(newcomer).get("type").asText());
        long join = System.nanoTime() - joinAsked;
        newcomer.close();

        int handled = flood.contains("whisper") ? witness.received.size() : answers.get();
        double seconds = (System.nanoTime() - floodStart) / 1e9; // after counting: an upper bound
        running.set(false);
        flooder.socket.close();
        int written = writer.get(20, TimeUnit.SECONDS);
        drain.get(20, TimeUnit.SECONDS);
        threads.shutdown();
        System.out.printf(
            "flood of %s: %d frames written, %d handled in %.1f s; worst /health %d ms, join %d ms%n",
            flood, written, handled, seconds, worstHealth / 1_000_000, join / 1_000_000);
        // Throttled, not closed: handled at the limit (1,000/s after a burst of 1,000), no faster.
        double limit = 1_000 + 1_000 * seconds;
        assertTrue(
            handled >= 0.8 * limit && handled <= limit + 16,
            "handled " + handled + " of at most " + limit);
        server.awaitStats(new io.github.lobby.core.Lobby.Stats(1, 1, 2));
        witness.received.clear();
      }
      assertFalse(witness.closeCode.isDone());
      witness.close();
    }
  }
}
