package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.lobby.http.codec.WireJson;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The promise that memory stays bounded and nobody is slowed by anybody else, tried for a minute:
 * 50 clients that never read flood the server with every kind of frame (Pings, 64 KiB binaries,
 * members requests, whispers, broadcasts), reconnecting whenever they are dropped, while a witness
 * pair in another room exchanges numbered messages. {@code -Dabuse.seconds=N} shortens it
 * for a local run; the figures it prints are in docs/RELIABILITY.md.
 */
class AbuseTest {

  private static final int ABUSERS = 50;
  private static final long SECONDS = Long.getLong("abuse.seconds", 60);
  /** Heap after GC may grow by this much: 50 clients at the bound each holds (see the test). */
  private static final long HEAP_BOUND = 200L << 20;

  @Test
  void fiftyClientsThatNeverReadFloodingEveryKindOfFrameLeaveMemoryBoundedAndOthersServed()
      throws Exception {
    try (TestServer server = new TestServer()) {
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      long baseline = heapAfterGc(memory);

      // Each abuser floods its own room, where an observer counts why members leave.
      Observer observer = new Observer();
      HttpClient http = HttpClient.newHttpClient();
      List<WebSocket> watching = new ArrayList<>();
      for (int i = 0; i < ABUSERS; i++) {
        watching.add(
            http.newWebSocketBuilder()
                .subprotocols("lobby.v1.json")
                .buildAsync(server.ws("/abuse-" + i), observer)
                .get(10, TimeUnit.SECONDS));
      }
      Witness a = new Witness(server);
      Witness b = new Witness(server);

      List<Abuser> abusers = new ArrayList<>();
      for (int i = 0; i < ABUSERS; i++) {
        abusers.add(new Abuser(server.port(), "/abuse-" + i));
      }
      long start = System.nanoTime();
      long end = start + TimeUnit.SECONDS.toNanos(SECONDS);
      long nextBeat = start;
      long nextHeap = start + TimeUnit.SECONDS.toNanos(10);
      long worstHeap = 0;
      int seq = 0;
      while (System.nanoTime() < end) {
        for (Abuser abuser : abusers) {
          abuser.push(abusers);
        }
        // A pause between rounds, so as not to spin a core the server needs: each round offers
        // every abuser up to 8 frames, far more than the limits let through in a millisecond.
        Thread.sleep(1);
        long now = System.nanoTime();
        if (now >= nextBeat) { // the witnesses talk every 20 ms
          a.say(seq);
          b.say(seq);
          seq++;
          nextBeat += TimeUnit.MILLISECONDS.toNanos(20);
        }
        if (now >= nextHeap) {
          worstHeap = Math.max(worstHeap, heapAfterGc(memory) - baseline);
          nextHeap = now + TimeUnit.SECONDS.toNanos(10);
        }
      }
      worstHeap = Math.max(worstHeap, heapAfterGc(memory) - baseline);

      // The witnesses got every message of the other, in order, however busy the server was.
      a.awaitFrom(b, seq);
      b.awaitFrom(a, seq);
      long dropped = abusers.stream().mapToLong(x -> x.dropped).sum();
      long[] latencies = a.latencies(start);
      long[] warm = a.latencies(start + TimeUnit.SECONDS.toNanos(10));
      System.out.printf(
          "abuse for %d s: %d abusers dropped and back %d times; witness latency p50 %d ms,"
              + " p99 %d ms, max %d ms over %d messages (after the first 10 s: p50 %d ms, p99 %d ms,"
              + " max %d ms); heap after GC grew by at most %d MiB; left reasons %s%n",
          SECONDS,
          ABUSERS,
          dropped,
          percentile(latencies, 0.5),
          percentile(latencies, 0.99),
          percentile(latencies, 1.0),
          latencies.length,
          percentile(warm, 0.5),
          percentile(warm, 0.99),
          percentile(warm, 1.0),
          worstHeap >> 20,
          observer.leftReasons);
      assertTrue(worstHeap < HEAP_BOUND, "heap after GC grew by " + (worstHeap >> 20) + " MiB");
      // Every abuser that was dropped was dropped as a slow consumer (the documented 1008), and
      // the others were only throttled: still there, still members.
      for (String reason : observer.leftReasons.keySet()) {
        assertEquals("slow_consumer", reason, "left reasons " + observer.leftReasons);
      }
      assertTrue(dropped > 0, "no abuser was ever dropped: the test did not flood");
      AtomicInteger slow = observer.leftReasons.get("slow_consumer");
      assertTrue(slow.get() >= dropped, dropped + " dropped, " + slow + " left as slow consumers");
      assertEquals(null, observer.failure.get());
      for (Abuser abuser : abusers) {
        abuser.channel.close();
      }
      a.client.close();
      b.client.close();
      for (WebSocket socket : watching) {
        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
      }
      server.awaitStats(new io.github.lobby.core.Lobby.Stats(0, 0, 0));
    }
  }

  private static long heapAfterGc(MemoryMXBean memory) {
    System.gc();
    return memory.getHeapMemoryUsage().getUsed();
  }

  private static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int at = (int) Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
    return sorted[Math.max(0, at)] / 1_000_000;
  }

  /**
   * Counts, in the abusers' rooms, why members left; discards everything else as it comes. One
   * listener for every room.
   */
  private static final class Observer implements WebSocket.Listener {
    final Map<String, AtomicInteger> leftReasons = new ConcurrentHashMap<>();
    final AtomicReference<String> failure = new AtomicReference<>();
    private final Map<WebSocket, StringBuilder> parts = new ConcurrentHashMap<>();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      StringBuilder text = parts.computeIfAbsent(ws, w -> new StringBuilder());
      text.append(data);
      if (last) {
        String frame = text.toString();
        text.setLength(0);
        if (frame.startsWith("{\"type\":\"left\"")) {
          String reason = WireJson.parse(frame).orElseThrow().get("reason").asText();
          leftReasons.computeIfAbsent(reason, r -> new AtomicInteger()).incrementAndGet();
        }
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      if (statusCode != WebSocket.NORMAL_CLOSURE) {
        failure.compareAndSet(null, "observer closed with " + statusCode + " " + reason);
      }
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      failure.compareAndSet(null, "observer failed: " + error);
    }
  }

  /** One of a pair of well-behaved clients in room "witness", sending numbered messages. */
  private static final class Witness {
    final JdkClient client;
    final String id;
    final Map<Integer, Long> sentAt = new ConcurrentHashMap<>();
    /** Pairs: when a message of the other witness was sent, and how long it took to arrive. */
    final List<long[]> latencies = new ArrayList<>();

    Witness(TestServer server) {
      client = JdkClient.connectJson(server, "/witness");
      id = WireJson.parse(client.next()).orElseThrow().get("id").asText();
    }

    void say(int seq) {
      sentAt.put(seq, System.nanoTime());
      client.socket.sendText("{\"type\":\"message\",\"msg\":" + seq + "}", true).join();
    }

    /** Reads until {@code count} messages of {@code other} arrived, checking their order. */
    void awaitFrom(Witness other, int count) throws InterruptedException {
      int next = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (next < count) {
        Object message = client.received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        assertTrue(message != null, "witness got " + next + " of " + count);
        long arrived = client.receivedAt.poll();
        JsonNode frame = WireJson.parse((String) message).orElseThrow();
        if ("message".equals(frame.get("type").asText()) && other.id.equals(frame.get("id").asText())) {
          assertEquals(next, frame.get("msg").asInt(), "in order");
          long sent = other.sentAt.get(next);
          latencies.add(new long[] {sent, arrived - sent});
          next++;
        }
      }
    }

    /** The latencies of the messages sent from {@code since} on, sorted. */
    long[] latencies(long since) {
      return latencies.stream().filter(l -> l[0] - since >= 0).mapToLong(l -> l[1]).sorted().toArray();
    }
  }

  /** A client that never reads: it writes frames as fast as its socket takes them. */
  private static final class Abuser {
    private static final byte[] PING = RawClient.frame(0x9, new byte[10], true, true, 0);
    private static final byte[] BINARY = RawClient.frame(0x2, new byte[64 * 1024], true, true, 0);
    private static final byte[] MEMBERS = text("{\"type\":\"members\"}");
    private static final byte[] BROADCAST = text("{\"type\":\"message\",\"msg\":\"abuse\"}");

    final int port;
    final String path;
    SocketChannel channel;
    String id;
    long dropped;
    private int kind;
    private ByteBuffer current = ByteBuffer.allocate(0);

    Abuser(int port, String path) throws IOException {
      this.port = port;
      this.path = path;
      connect();
    }

    private static byte[] text(String text) {
      return RawClient.frame(0x1, text.getBytes(StandardCharsets.UTF_8), true, true, 0);
    }

    private void connect() throws IOException {
      channel = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
      byte[] key = new byte[16];
      Arrays.fill(key, (byte) 7);
      String request =
          "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              + "Sec-WebSocket-Key: " + Base64.getEncoder().encodeToString(key) + "\r\n"
              + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: lobby.v1.json\r\n\r\n";
      channel.write(ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII)));
      // Read the 101 and the welcome (the last read of this client), for its id.
      ByteBuffer in = ByteBuffer.allocate(8192);
      String seen = "";
      int welcome;
      while ((welcome = seen.indexOf("\"id\":\"")) < 0 || seen.length() < welcome + 6 + 36) {
        if (channel.read(in) < 0) {
          throw new IOException("closed during the upgrade: " + seen);
        }
        seen = new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1);
      }
      assertTrue(seen.startsWith("HTTP/1.1 101"), seen);
      id = seen.substring(welcome + 6, welcome + 6 + 36);
      channel.configureBlocking(false);
      current = ByteBuffer.allocate(0);
    }

    /**
     * Writes what its socket takes now; reconnects when the server has dropped it.
     *
     * @return whether anything was written
     */
    boolean push(List<Abuser> all) throws IOException {
      boolean wrote = false;
      try {
        for (int frames = 0; frames < 8; frames++) {
          if (!current.hasRemaining()) {
            current = ByteBuffer.wrap(next(all));
          }
          int n = channel.write(current);
          wrote |= n > 0;
          if (n == 0 || current.hasRemaining()) {
            return wrote; // the server is not reading from us: throttled
          }
        }
      } catch (IOException droppedByTheServer) {
        dropped++;
        channel.close();
        connect();
        wrote = true;
      }
      return wrote;
    }

    private byte[] next(List<Abuser> all) {
      switch (kind++ % 5) {
        case 0:
          return PING;
        case 1:
          return BINARY;
        case 2:
          return MEMBERS;
        case 3:
          String to = all.get((kind * 7) % all.size()).id;
          return text("{\"type\":\"whisper\",\"to\":\"" + to + "\",\"msg\":\"psst\"}");
        default:
          return BROADCAST;
      }
    }
  }
}
