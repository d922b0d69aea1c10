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
 * What Lobby records about itself, through Micrometer. Chosen once, when the Lobby and its routes
 * are created: {@link #NONE} records nothing (every method is empty, so the JIT removes the calls),
 * {@link #of(MeterRegistry)} records into a registry. Nothing on the hot path checks for null.
 *
 * <p>Per-delivery cost is kept to a minimum: a fan-out adds its recipients and bytes to the
 * delivery counters once, not once per recipient. The meters and their names are listed in the
 * README (section Observability). One Lobby per registry: a second one would share the first one's
 * gauges.
 *
 * <p>The methods are called by Lobby's own actors and connection layer; {@link #peerEvent(String)}
 * is also open to a {@link Federation} implementation that wants to count its own events.
 */
public interface LobbyMetrics {

  /** Records nothing, at no cost. */
  LobbyMetrics NONE = new LobbyMetrics() {};

  /** Records into {@code registry}; {@link #NONE} when it is null. */
  static LobbyMetrics of(MeterRegistry registry) {
    return registry == null ? NONE : new Micrometer(registry);
  }

  /** A session joined the directory. */
  default void sessionAdded() {}

  /** A session left the directory. */
  default void sessionRemoved() {}

  /** A room actor was started. */
  default void roomAdded() {}

  /** A room actor was stopped (its last member left). */
  default void roomRemoved() {}

  /** A WebSocket connection was accepted (upgraded). */
  default void connectionOpened() {}

  /**
   * A WebSocket connection ended.
   *
   * @param code the close code it ended with (ours, or the client's that we echoed), or -1 when
   *     it ended without a Close (reset, end of stream)
   * @param reason why, one of a few fixed words (never client text): {@code client} (the client
   *     closed), {@code slow_consumer}, {@code rate_limit}, {@code timeout}, {@code shutdown},
   *     {@code protocol_error}, {@code refused}, {@code lost} (no Close), {@code server}
   */
  default void connectionClosed(int code, String reason) {}

  /** A client text message arrived. */
  default void clientText(String text) {}

  /** A client binary message arrived. */
  default void clientBinary(int bytes) {}

  /**
   * Frames were queued for clients: once per fan-out with its count, or one for a single answer.
   *
   * @param frames how many clients accepted the frame
   * @param bytes the frame's size in bytes, once
   */
  default void delivered(int frames, long bytes) {}

  /** The time at which a broadcast is sent to its room, for {@link #broadcast}; 0 when unused. */
  default long now() {
    return 0;
  }

  /**
   * A member's broadcast has been offered to every member of its room.
   *
   * @param fanOut members that accepted it
   * @param since {@link #now()} when the sender's session handed it to the room
   */
  default void broadcast(int fanOut, long since) {}

  /**
   * A whisper was handled.
   *
   * @param outcome {@code delivered} (on this node), {@code no_session}, or {@code remote} (looked
   *     for on the other nodes)
   */
  default void whisper(String outcome) {}

  /** An admin push reached a room on this node. */
  default void adminPush() {}

  /**
   * A client asked to resume a session ({@code lobby.resumption}).
   *
   * @param outcome {@code resumed}, or {@code refused} (it got a new session)
   */
  default void resume(String outcome) {}

  /** A client was closed as a slow consumer (its outbound queue overflowed). */
  default void slowConsumer() {}

  /** A client message over the inbound rate was throttled (acknowledged late). */
  default void rateThrottled() {}

  /** A client over the inbound rate was closed ({@code inbound-rate-exceeded = close}). */
  default void rateClosed() {}

  /** Frames waiting in a connection's outbound queue when it drains it. */
  default void outboundQueueDepth(int frames) {}

  /** An event from another node reached a room (or a federation's own event), by kind. */
  default void peerEvent(String kind) {}

  /** The Micrometer implementation. Meters with tags are looked up once and kept. */
  final class Micrometer implements LobbyMetrics {
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

    Micrometer(MeterRegistry registry) {
      this.registry = registry;
      Gauge.builder("lobby.sessions", sessions, AtomicInteger::get)
          .description("sessions connected to this node")
          .register(registry);
      Gauge.builder("lobby.rooms", rooms, AtomicInteger::get)
          .description("rooms with at least one member on this node")
          .register(registry);
      connectionsOpened =
          Counter.builder("lobby.connections.opened")
              .description("WebSocket connections accepted")
              .register(registry);
      clientMessagesText = clientMessages("text");
      clientMessagesBinary = clientMessages("binary");
      clientBytes =
          Counter.builder("lobby.client.bytes")
              .baseUnit("bytes")
              .description("payload bytes of client messages (text as UTF-8)")
              .register(registry);
      deliveries =
          Counter.builder("lobby.deliveries")
              .description("frames queued for clients (fan-outs, whispers, answers)")
              .register(registry);
      deliveryBytes =
          Counter.builder("lobby.deliveries.bytes")
              .baseUnit("bytes")
              .description("bytes of the frames queued for clients")
              .register(registry);
      fanOut =
          DistributionSummary.builder("lobby.broadcast.fanout")
              .description("members that received each member broadcast")
              .register(registry);
      broadcastLatency =
          Timer.builder("lobby.broadcast.latency")
              .description("from a broadcast sent to its room to the last recipient's queue")
              .register(registry);
      adminPushes =
          Counter.builder("lobby.admin.pushes")
              .description("admin pushes that reached a room on this node")
              .register(registry);
      slowConsumers =
          Counter.builder("lobby.slow.consumers")
              .description("clients closed because their outbound queue overflowed")
              .register(registry);
      throttled = rateLimited("throttled", "client messages acknowledged late by the inbound rate");
      rateClosed = rateLimited("closed", "clients closed for their inbound rate");
      queueDepth =
          DistributionSummary.builder("lobby.outbound.queue.depth")
              .description("frames waiting in a connection's outbound queue when it drains it")
              .register(registry);
    }

    private Counter clientMessages(String type) {
      return Counter.builder("lobby.client.messages")
          .tag("type", type)
          .description("client messages received")
          .register(registry);
    }

    private Counter rateLimited(String action, String description) {
      return Counter.builder("lobby.rate.limited")
          .tag("action", action)
          .description(description)
          .register(registry);
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
              outcome,
              k ->
                  Counter.builder("lobby.whispers")
                      .tag("outcome", k)
                      .description("whispers handled, by outcome")
                      .register(registry))
          .increment();
    }

    @Override
    public void resume(String outcome) {
      resumes
          .computeIfAbsent(
              outcome,
              k ->
                  Counter.builder("lobby.resumes")
                      .tag("outcome", k)
                      .description("clients that asked to resume a session, by outcome")
                      .register(registry))
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
        } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
          n += 4;
          i++;
        } else {
          n += 3;
        }
      }
      return n;
    }
  }
}
