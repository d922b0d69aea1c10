package io.github.lobby.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link LobbyMetrics} recorded into a Micrometer registry: the only class of lobby-core that uses
 * Micrometer, created by {@link LobbyMetrics#of(MeterRegistry)} when it is given a registry and
 * never loaded otherwise, so that an application without metrics needs no Micrometer on its
 * classpath. Meters with tags are looked up once and kept.
 */
final class MicrometerMetrics implements LobbyMetrics {
  private static final String CLIENT_MESSAGES = "client messages received";

  private final MeterRegistry registry;
  private final AtomicInteger sessions = new AtomicInteger();
  private final AtomicInteger rooms = new AtomicInteger();
  private final Counter connectionsOpened;
  private final Map<String, Counter> connectionsClosed = new ConcurrentHashMap<>();
  private final Counter clientMessagesText;
  private final Counter clientMessagesBinary;
  private final Counter clientBytes;
  private final Counter deliveries;
  private final Counter deliveryBytes;
  private final DistributionSummary fanOut;
  private final Timer broadcastLatency;
  private final Map<String, Counter> whispers = new ConcurrentHashMap<>();
  private final Map<String, Counter> resumes = new ConcurrentHashMap<>();
  private final Counter adminPushes;
  private final Counter slowConsumers;
  private final Counter throttled;
  private final Counter rateClosed;
  private final DistributionSummary queueDepth;
  private final Map<String, Counter> peerEvents = new ConcurrentHashMap<>();

  MicrometerMetrics(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("lobby.sessions", sessions, AtomicInteger::get)
        .description("sessions connected to this node")
        .register(registry);
    Gauge.builder("lobby.rooms", rooms, AtomicInteger::get)
        .description("rooms with at least one member on this node")
        .register(registry);
    connectionsOpened = counter("lobby.connections.opened", null, "WebSocket connections accepted");
    clientMessagesText = tagged("lobby.client.messages", "type", "text", CLIENT_MESSAGES);
    clientMessagesBinary = tagged("lobby.client.messages", "type", "binary", CLIENT_MESSAGES);
    clientBytes =
        counter("lobby.client.bytes", "bytes", "payload bytes of client messages (text as UTF-8)");
    deliveries =
        counter(
            "lobby.deliveries", null, "frames queued for clients (fan-outs, whispers, answers)");
    deliveryBytes =
        counter("lobby.deliveries.bytes", "bytes", "bytes of the frames queued for clients");
    fanOut =
        DistributionSummary.builder("lobby.broadcast.fanout")
            .description("members that received each member broadcast")
            .register(registry);
    broadcastLatency =
        Timer.builder("lobby.broadcast.latency")
            .description("from a broadcast sent to its room to the last recipient's queue")
            .register(registry);
    adminPushes =
        counter("lobby.admin.pushes", null, "admin pushes that reached a room on this node");
    slowConsumers =
        counter(
            "lobby.slow.consumers", null, "clients closed because their outbound queue overflowed");
    throttled =
        tagged(
            "lobby.rate.limited",
            "action",
            "throttled",
            "client messages acknowledged late by the inbound rate");
    rateClosed =
        tagged("lobby.rate.limited", "action", "closed", "clients closed for their inbound rate");
    queueDepth =
        DistributionSummary.builder("lobby.outbound.queue.depth")
            .description("frames waiting in a connection's outbound queue when it drains it")
            .register(registry);
  }

  /** A counter without tags; {@code baseUnit} may be null. */
  private Counter counter(String name, String baseUnit, String description) {
    return Counter.builder(name).baseUnit(baseUnit).description(description).register(registry);
  }

  /** A counter with one tag. */
  private Counter tagged(String name, String key, String value, String description) {
    return Counter.builder(name).tag(key, value).description(description).register(registry);
  }

  @Override
  public void sessionAdded() {
    sessions.incrementAndGet();
  }

  @Override
  public void sessionRemoved() {
    sessions.decrementAndGet();
  }

  @Override
  public void roomAdded() {
    rooms.incrementAndGet();
  }

  @Override
  public void roomRemoved() {
    rooms.decrementAndGet();
  }

  @Override
  public void connectionOpened() {
    connectionsOpened.increment();
  }

  @Override
  public void connectionClosed(int code, String reason) {
    // Codes 3000-4999 are the client's to choose: one tag for them all, so that a client cannot
    // make thousands of series.
    String codeTag =
        code < 0 ? "none" : code >= 3000 && code <= 4999 ? "3000-4999" : Integer.toString(code);
    connectionsClosed
        .computeIfAbsent(
            codeTag + ' ' + reason,
            k ->
                Counter.builder("lobby.connections.closed")
                    .tag("code", codeTag)
                    .tag("reason", reason)
                    .description("WebSocket connections ended, by close code and reason")
                    .register(registry))
        .increment();
  }

  @Override
  public void clientText(String text) {
    clientMessagesText.increment();
    clientBytes.increment(utf8Length(text));
  }

  @Override
  public void clientBinary(int bytes) {
    clientMessagesBinary.increment();
    clientBytes.increment(bytes);
  }

  @Override
  public void delivered(int frames, long bytes) {
    if (frames > 0) {
      deliveries.increment(frames);
      deliveryBytes.increment((double) frames * bytes);
    }
  }

  @Override
  public long now() {
    return System.nanoTime();
  }

  @Override
  public void broadcast(int members, long since) {
    fanOut.record(members);
    broadcastLatency.record(System.nanoTime() - since, TimeUnit.NANOSECONDS);
  }

  @Override
  public void whisper(String outcome) {
    whispers
        .computeIfAbsent(
            outcome, k -> tagged("lobby.whispers", "outcome", k, "whispers handled, by outcome"))
        .increment();
  }

  @Override
  public void resume(String outcome) {
    resumes
        .computeIfAbsent(
            outcome,
            k ->
                tagged(
                    "lobby.resumes",
                    "outcome",
                    k,
                    "clients that asked to resume a session, by outcome"))
        .increment();
  }

  @Override
  public void adminPush() {
    adminPushes.increment();
  }

  @Override
  public void slowConsumer() {
    slowConsumers.increment();
  }

  @Override
  public void rateThrottled() {
    throttled.increment();
  }

  @Override
  public void rateClosed() {
    rateClosed.increment();
  }

  @Override
  public void outboundQueueDepth(int frames) {
    queueDepth.record(frames);
  }

  @Override
  public void peerEvent(String kind) {
    peerEvents
        .computeIfAbsent(
            kind,
            k ->
                Counter.builder("lobby.cluster.peer.events")
                    .tag("type", k.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT))
                    .description("events from rooms on other nodes, by type")
                    .register(registry))
        .increment();
  }

  /** UTF-8 length without encoding. */
  static long utf8Length(String s) {
    long n = 0;
    for (int i = 0, len = s.length(); i < len; i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c)
          && i + 1 < len
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
