package io.github.lobby.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * An end-to-end load tool for any Lobby server, on the JDK's non-blocking WebSocket client.
 *
 * <pre>
 * java -cp lobby-bench/target/lobby-bench.jar io.github.lobby.bench.LoadGen fanout \
 *      --url ws://127.0.0.1:8081 --subscribers 1000 --publishers 1 --rate 0 --duration 10 --pid PID
 * ... LoadGen density --url ws://127.0.0.1:8081 --n 15000 --pid PID
 * ... LoadGen soak    --url ws://127.0.0.1:8081 --duration 600 --pid PID
 * ... LoadGen density --url wss://127.0.0.1:8443 --trust-store server.p12 \
 *      --trust-store-password changeit --n 1000 --pid PID --heap
 * </pre>
 *
 * <p>{@code wss://} URLs (and {@code https://} for {@code /health}) trust the certificates of
 * {@code --trust-store} (a PKCS12 file, with {@code --trust-store-password}), or anything with
 * {@code --insecure} (no certificate or host name check: for measurements on 127.0.0.1 only).
 *
 * <ul>
 *   <li>{@code fanout}: subscribers in one room (or {@code --rooms} rooms; spread over several
 *       servers, e.g. the nodes of a cluster, with {@code --urls ws://a,ws://b}), publishers sending
 *       classic text {@code <publisher>:<seq>:<nanoTime>:<padding>}; {@code --rate 0} keeps
 *       {@code --window} messages in flight per publisher, {@code --rate N} sends N/s per
 *       publisher. Reports deliveries/s, lost, out of order, latency percentiles (HdrHistogram;
 *       clocks are this process's own), and with {@code --pid} the server's CPU per delivery.
 *   <li>{@code density}: opens N idle sessions, holds them, reports connect time and the
 *       server's RSS per session ({@code --pid}), with {@code --heap} also its live heap per
 *       session (after a full GC, through the JDK's jcmd and jstat), closes them and checks
 *       {@code /health}; a last line {@code density-summary key=value...} for scripts.
 *   <li>{@code soak}: steady rooms with publishers plus connect/disconnect churn for a bounded
 *       time, a line every {@code --report} seconds: sessions, rooms, messages, errors, memory.
 * </ul>
 */
public final class LoadGen {

  private final Map<String, String> options;
  private final PrintStream out = System.out;
  private final HttpClient[] clients;
  private final LongAdder errors = new LongAdder();
  private final Map<String, LongAdder> closeCodes = new ConcurrentHashMap<>();

  private LoadGen(Map<String, String> options) {
    this.options = options;
    int n = integer("http-clients", 2);
    javax.net.ssl.SSLContext tls = sslContext();
    clients = new HttpClient[n];
    for (int i = 0; i < n; i++) {
      HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30));
      if (tls != null) {
        builder.sslContext(tls);
      }
      clients[i] = builder.build();
    }
  }

  /**
   * The TLS context of wss:// connections: trusting {@code --trust-store}, or anything with
   * {@code --insecure}; null (the JDK's default) without either.
   */
  private javax.net.ssl.SSLContext sslContext() {
    try {
      javax.net.ssl.TrustManager[] trust;
      if (options.containsKey("insecure")) {
        // Host names are the JDK client's own check, off only through this property.
        System.setProperty("jdk.internal.httpclient.disableHostnameVerification", "true");
        trust =
            new javax.net.ssl.TrustManager[] {
              new javax.net.ssl.X509TrustManager() {
                @Override
                public void checkClientTrusted(
                    java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public void checkServerTrusted(
                    java.security.cert.X509Certificate[] chain, String authType) {}

                @Override
                public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                  return new java.security.cert.X509Certificate[0];
                }
              }
            };
      } else if (options.containsKey("trust-store")) {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (java.io.InputStream in =
            java.nio.file.Files.newInputStream(java.nio.file.Path.of(options.get("trust-store")))) {
          store.load(in, string("trust-store-password", "").toCharArray());
        }
        // A server's own key store will do: its certificates are trusted, its keys unused.
        java.security.KeyStore certs = java.security.KeyStore.getInstance("PKCS12");
        certs.load(null, null);
        for (String alias : java.util.Collections.list(store.aliases())) {
          if (store.getCertificate(alias) != null) {
            certs.setCertificateEntry(alias, store.getCertificate(alias));
          }
        }
        javax.net.ssl.TrustManagerFactory factory =
            javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        factory.init(certs);
        trust = factory.getTrustManagers();
      } else {
        return null;
      }
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, trust, null);
      return context;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot use --trust-store: " + e, e);
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 0) {
      System.err.println("usage: LoadGen fanout|density|soak [--option value]...");
      System.exit(2);
    }
    Map<String, String> options = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("expected --option, got " + args[i]);
      }
      // A flag (--insecure, --heap) has no value: the next argument is an option or nothing.
      if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        options.put(args[i].substring(2), args[++i]);
      } else {
        options.put(args[i].substring(2), "true");
      }
    }
    LoadGen gen = new LoadGen(options);
    switch (args[0]) {
      case "fanout" -> gen.fanout();
      case "density" -> gen.density();
      case "soak" -> gen.soak();
      default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
    }
    System.exit(0);
  }

  private String string(String key, String fallback) {
    return options.getOrDefault(key, fallback);
  }

  private int integer(String key, int fallback) {
    return Integer.parseInt(options.getOrDefault(key, String.valueOf(fallback)));
  }

  /** The server for connection {@code index}: {@code --url}, or round-robin over {@code --urls a,b}. */
  private URI ws(String room, int index) {
    String[] urls = string("urls", string("url", "ws://127.0.0.1:8081")).split(",");
    return URI.create(urls[index % urls.length].strip() + "/" + room);
  }

  private URI http(String path) {
    String base = string("http", string("url", "ws://127.0.0.1:8081").replaceFirst("^ws", "http"));
    return URI.create(base + path);
  }

  // ---- a client ----

  /** What a client does with each complete text message it receives. */
  private interface OnText {
    void accept(Client client, String text);
  }

  /** One WebSocket session: counts what it receives and records how it ended. */
  private final class Client implements WebSocket.Listener {
    final CompletableFuture<String> welcome = new CompletableFuture<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();
    final OnText onText;
    private final StringBuilder partial = new StringBuilder();
    volatile WebSocket socket;
    String id;

    Client(OnText onText) {
      this.onText = onText;
    }

    @Override
    public void onOpen(WebSocket webSocket) {
      socket = webSocket;
      webSocket.request(Long.MAX_VALUE);
    }

    @Override
    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
      String text;
      if (partial.length() == 0 && last) {
        text = data.toString();
      } else {
        partial.append(data);
        if (!last) {
          return null;
        }
        text = partial.toString();
        partial.setLength(0);
      }
      if (!welcome.isDone() && text.startsWith("your id is ")) {
        id = text.substring("your id is ".length());
        welcome.complete(id);
      } else if (onText != null) {
        onText.accept(this, text);
      }
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closeCodes.computeIfAbsent(statusCode + " " + reason, k -> new LongAdder()).increment();
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closeCodes.computeIfAbsent("error " + error.getClass().getSimpleName(), k -> new LongAdder()).increment();
      closed.complete(-1);
    }

    CompletableFuture<Client> connect(String room, int index) {
      return clients[index % clients.length]
          .newWebSocketBuilder()
          .connectTimeout(Duration.ofSeconds(30))
          .buildAsync(ws(room, index), this)
          .thenCompose(s -> welcome)
          .thenApply(id -> this);
    }

    void close() {
      WebSocket s = socket;
      if (s != null && !s.isOutputClosed()) {
        s.sendClose(WebSocket.NORMAL_CLOSURE, "done");
      }
    }
  }

  /** Connects {@code n} clients, {@code batch} at a time, each to {@code room.apply(i)}. */
  private List<Client> connectAll(int n, java.util.function.IntFunction<String> room, OnText onText)
      throws Exception {
    int batch = integer("batch", 200);
    Semaphore inFlight = new Semaphore(batch);
    List<CompletableFuture<Client>> pending = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      inFlight.acquire();
      Client client = new Client(onText);
      CompletableFuture<Client> connected = client.connect(room.apply(i), i);
      connected.whenComplete((c, e) -> {
        inFlight.release();
        if (e != null) {
          errors.increment();
        }
      });
      pending.add(connected);
    }
    List<Client> connectedClients = new ArrayList<>(n);
    for (CompletableFuture<Client> f : pending) {
      try {
        connectedClients.add(f.get(60, TimeUnit.SECONDS));
      } catch (Exception e) {
        // counted in errors
      }
    }
    return connectedClients;
  }

  // ---- fan-out and latency ----

  private void fanout() throws Exception {
    int subscribers = integer("subscribers", 1000);
    int publishers = integer("publishers", 1);
    int rooms = integer("rooms", 1);
    int rate = integer("rate", 0);
    int window = integer("window", 32);
    int duration = integer("duration", 10);
    int size = integer("size", 64);
    String room = string("room", "bench");
    Recorder latency = new Recorder(3);
    LongAdder received = new LongAdder();
    LongAdder outOfOrder = new LongAdder();

    // Subscribers: parse the classic broadcast {"id":..,"msg":"<p>:<seq>:<nanos>:pad",..}.
    OnText subscriber =
        new OnText() {
          final Map<Client, long[]> last = new ConcurrentHashMap<>();

          @Override
          public void accept(Client client, String text) {
            int msg = text.indexOf("\"msg\":\"");
            if (msg < 0) {
              return; // a join or leave notice
            }
            int start = msg + 7;
            int c1 = text.indexOf(':', start);
            int c2 = text.indexOf(':', c1 + 1);
            int c3 = text.indexOf(':', c2 + 1);
            if (c1 < 0 || c2 < 0 || c3 < 0) {
              return;
            }
            int publisher = Integer.parseInt(text, start, c1, 10);
            long seq = Long.parseLong(text, c1 + 1, c2, 10);
            long sentAt = Long.parseLong(text, c2 + 1, c3, 10);
            latency.recordValue(Math.max(0, System.nanoTime() - sentAt) / 1000);
            received.increment();
            long[] seen = last.computeIfAbsent(client, k -> new long[publishers]);
            if (seq <= seen[publisher] && seq != 0) {
              outOfOrder.increment();
            }
            seen[publisher] = seq;
          }
        };
    out.printf("connecting %d subscribers to %d room(s)...%n", subscribers, rooms);
    long connectStart = System.nanoTime();
    List<Client> subs = connectAll(subscribers, i -> room + (rooms > 1 ? "-" + i % rooms : ""), subscriber);
    out.printf("connected %d in %.1f s (%d failed)%n", subs.size(), (System.nanoTime() - connectStart) / 1e9, subscribers - subs.size());

    // Publishers: each knows its own messages came back (sender included) for the window.
    Semaphore[] windows = new Semaphore[publishers];
    AtomicLong[] sequences = new AtomicLong[publishers];
    List<Client> pubs = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      windows[p] = new Semaphore(window);
      sequences[p] = new AtomicLong();
      int self = p;
      OnText own = (client, text) -> {
        if (text.contains("\"msg\":\"" + self + ":") && text.contains("\"id\":\"" + client.id + "\"")) {
          windows[self].release();
        }
      };
      Client pub = new Client(own);
      pubs.add(pub.connect(room + (rooms > 1 ? "-" + p % rooms : ""), p).get(30, TimeUnit.SECONDS));
    }
    Thread.sleep(1000); // join notices settle
    received.reset();
    latency.reset();
    String pad = "x".repeat(Math.max(0, size - 40));
    ServerFigures.ProcessStats before = ServerFigures.ProcessStats.read(options.get("pid"));
    long start = System.nanoTime();
    long end = start + TimeUnit.SECONDS.toNanos(duration);
    List<Thread> threads = new ArrayList<>();
    LongAdder sent = new LongAdder();
    for (int p = 0; p < publishers; p++) {
      int self = p;
      Client pub = pubs.get(p);
      Thread t = new Thread(() -> {
        long interval = rate > 0 ? 1_000_000_000L / rate : 0;
        long next = System.nanoTime();
        while (System.nanoTime() < end) {
          try {
            if (rate > 0) {
              long wait = next - System.nanoTime();
              if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
              }
              next += interval;
            } else if (!windows[self].tryAcquire(100, TimeUnit.MILLISECONDS)) {
              continue;
            }
          } catch (InterruptedException e) {
            return;
          }
          long seq = sequences[self].incrementAndGet();
          pub.socket.sendText(self + ":" + seq + ":" + System.nanoTime() + ":" + pad, true).join();
          sent.increment();
        }
      }, "publisher-" + p);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long expected = 0;
    for (int p = 0; p < publishers; p++) {
      int publisherRoom = p % rooms;
      long inRoom = subscribers / rooms + (publisherRoom < subscribers % rooms ? 1 : 0);
      expected += sequences[p].get() * inRoom;
    }
    long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (received.sum() < expected && System.nanoTime() < drainUntil) {
      Thread.sleep(50);
    }
    ServerFigures.ProcessStats after = ServerFigures.ProcessStats.read(options.get("pid"));
    Histogram h = latency.getIntervalHistogram();
    long got = received.sum();
    out.printf(Locale.ROOT, "sent %d messages in %.1f s; deliveries expected %d, received %d, lost %d, out of order %d%n",
        sent.sum(), seconds, expected, got, Math.max(0, expected - got), outOfOrder.sum());
    out.printf(Locale.ROOT, "deliveries/s %.0f%n", got / seconds);
    out.printf(Locale.ROOT, "latency ms p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f%n",
        h.getValueAtPercentile(50) / 1000.0, h.getValueAtPercentile(90) / 1000.0,
        h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
    if (before != null && after != null) {
      double cpu = after.cpuSeconds() - before.cpuSeconds();
      out.printf(Locale.ROOT, "server CPU %.2f s (%.0f%% of a core), %.2f us/delivery; RSS %d -> %d MiB%n",
          cpu, 100 * cpu / seconds, got == 0 ? 0 : cpu * 1e6 / got, before.rss() >> 20, after.rss() >> 20);
    }
    out.printf("closes: %s; connect errors: %d%n", closeCodes, errors.sum());
    subs.forEach(Client::close);
    pubs.forEach(Client::close);
    Thread.sleep(500);
  }

  // ---- connection density ----

  private void density() throws Exception {
    int n = integer("n", 10_000);
    int perRoom = integer("per-room", 10);
    int hold = integer("hold", 10);
    boolean heap = options.containsKey("heap");
    ServerFigures.JsonHealth start = health();
    long heapBefore = heap ? ServerFigures.liveHeap(options.get("pid")) : -1;
    ServerFigures.ProcessStats before = ServerFigures.ProcessStats.read(options.get("pid"));
    long t0 = System.nanoTime();
    List<Client> open = connectAll(n, i -> "density-" + i / perRoom, null);
    double connectSeconds = (System.nanoTime() - t0) / 1e9;
    ServerFigures.ProcessStats connected = ServerFigures.ProcessStats.read(options.get("pid"));
    out.printf(Locale.ROOT, "opened %d of %d sessions in %.1f s (%.0f/s); failures %d%n",
        open.size(), n, connectSeconds, open.size() / connectSeconds, n - open.size());
    out.printf("holding %d s (heartbeats run)...%n", hold);
    Thread.sleep(hold * 1000L);
    ServerFigures.JsonHealth held = health();
    ServerFigures.ProcessStats after = ServerFigures.ProcessStats.read(options.get("pid"));
    long heapHeld = heap ? ServerFigures.liveHeap(options.get("pid")) : -1;
    out.printf("health while held: %s (before: %s)%n", held, start);
    int sessions = Math.max(1, open.size());
    double rssKb = -1;
    double heapKb = -1;
    double cpuMs = -1;
    if (before != null && after != null) {
      rssKb = (after.rss() - before.rss()) / 1000.0 / sessions;
      out.printf(Locale.ROOT, "server RSS %d -> %d MiB: %.1f KB per session%n", before.rss() >> 20,
          after.rss() >> 20, rssKb);
      cpuMs = (connected.cpuSeconds() - before.cpuSeconds()) * 1000 / sessions;
      out.printf(Locale.ROOT, "server CPU while connecting: %.2f ms per session%n", cpuMs);
    }
    if (heapBefore >= 0 && heapHeld >= 0) {
      heapKb = (heapHeld - heapBefore) / 1000.0 / sessions;
      out.printf(Locale.ROOT, "server live heap %d -> %d KiB: %.1f KB per session%n",
          heapBefore >> 10, heapHeld >> 10, heapKb);
    }
    out.printf(Locale.ROOT,
        "density-summary sessions=%d connect_per_s=%.0f rss_kb_per_session=%.1f"
            + " heap_kb_per_session=%.1f cpu_ms_per_connect=%.2f%n",
        open.size(), open.size() / connectSeconds, rssKb, heapKb, cpuMs);
    long dropped = open.stream().filter(c -> c.closed.isDone()).count();
    out.printf("closed by the server while idle: %d%n", dropped);
    open.forEach(Client::close);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ServerFigures.JsonHealth end = health();
    while (end != null && start != null && end.sessions() != start.sessions() && System.nanoTime() < until) {
      Thread.sleep(200);
      end = health();
    }
    out.printf("health after closing: %s%n", end);
  }

  // ---- soak ----

  private void soak() throws Exception {
    int duration = integer("duration", 600);
    int rooms = integer("rooms", 10);
    int perRoom = integer("per-room", 20);
    int rate = integer("rate", 20);
    int churn = integer("churn", 5);
    int report = integer("report", 10);
    LongAdder delivered = new LongAdder();
    LongAdder sent = new LongAdder();
    LongAdder churned = new LongAdder();
    OnText member = (client, text) -> {
      if (text.startsWith("{")) {
        delivered.increment();
      }
    };
    List<Client> steady = connectAll(rooms * perRoom, i -> "soak-" + i % rooms, member);
    out.printf("%d steady members in %d rooms; %d msg/s per room; %d churn connections/s; %d s%n",
        steady.size(), rooms, rate, churn, duration);
    out.println("t_s,sessions,rooms,sent,delivered,expected,errors,churned,server_rss_mib,server_cpu_pct");
    ScheduledExecutorService timers = Executors.newScheduledThreadPool(2);
    long period = 1_000_000L / Math.max(1, rate);
    for (int r = 0; r < rooms; r++) {
      Client publisher = steady.get(r);
      timers.scheduleAtFixedRate(() -> {
        publisher.socket.sendText("soak " + System.nanoTime(), true);
        sent.increment();
      }, period, period, TimeUnit.MICROSECONDS);
    }
    timers.scheduleAtFixedRate(() -> {
      for (int i = 0; i < churn; i++) {
        Client c = new Client(null);
        c.connect("soak-churn-" + ThreadLocalRandom.current().nextInt(rooms), i)
            .orTimeout(30, TimeUnit.SECONDS)
            .whenComplete((ok, e) -> {
              if (e != null) {
                errors.increment();
              } else {
                churned.increment();
                c.close();
              }
            });
      }
    }, 1, 1, TimeUnit.SECONDS);
    long start = System.nanoTime();
    ServerFigures.ProcessStats last = ServerFigures.ProcessStats.read(options.get("pid"));
    long lastAt = start;
    while (System.nanoTime() - start < TimeUnit.SECONDS.toNanos(duration)) {
      Thread.sleep(report * 1000L);
      ServerFigures.JsonHealth h = health();
      ServerFigures.ProcessStats now = ServerFigures.ProcessStats.read(options.get("pid"));
      long nowAt = System.nanoTime();
      double cpuPct = last == null || now == null ? -1 : 100 * (now.cpuSeconds() - last.cpuSeconds()) / ((nowAt - lastAt) / 1e9);
      long unexpectedCloses = steady.stream().filter(c -> c.closed.isDone()).count();
      out.printf(Locale.ROOT, "%d,%d,%d,%d,%d,%d,%d,%d,%d,%.0f%n",
          (nowAt - start) / 1_000_000_000L, h == null ? -1 : h.sessions(), h == null ? -1 : h.rooms(),
          sent.sum(), delivered.sum(), sent.sum() * perRoom, errors.sum() + unexpectedCloses, churned.sum(),
          now == null ? -1 : now.rss() >> 20, cpuPct);
      last = now;
      lastAt = nowAt;
    }
    timers.shutdownNow();
    Thread.sleep(2000);
    long expected = sent.sum() * perRoom;
    out.printf("done: sent %d, deliveries expected %d, received %d, lost %d, errors %d, closes %s%n",
        sent.sum(), expected, delivered.sum(), Math.max(0, expected - delivered.sum()), errors.sum(), closeCodes);
    steady.forEach(Client::close);
    Thread.sleep(1000);
    out.printf("health after: %s%n", health());
  }

  // ---- server figures ----

  /** {@code GET /health}, or null when it cannot be read. */
  private ServerFigures.JsonHealth health() {
    try {
      HttpResponse<String> r =
          clients[0].send(HttpRequest.newBuilder(http("/health")).timeout(Duration.ofSeconds(10)).build(),
              HttpResponse.BodyHandlers.ofString());
      return ServerFigures.JsonHealth.parse(r.body());
    } catch (IOException | InterruptedException e) {
      return null;
    }
  }
}
