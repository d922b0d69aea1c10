package io.github.lobby.bench;

import com.sun.management.OperatingSystemMXBean;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Federation;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.http.LobbyRoutes;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.StreamSupport;
import org.HdrHistogram.Histogram;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * Many rooms over two cluster nodes, with churn: how the federation holds up when rooms come and go
 * by the thousand.
 *
 * <pre>
 * java -Xmx2g -cp lobby-bench/target/lobby-bench.jar io.github.lobby.bench.ClusterRooms \
 *      --rooms 10000 --churn 50 --duration 120 --report 20
 * </pre>
 *
 * <p>Two ActorSystems in this JVM form a cluster over Artery on 127.0.0.1 (random ports), each with
 * a Lobby on the federation that {@code lobby.cluster.enabled = on} chooses. No sockets: the
 * sessions' transports are in-process counters, so the figures are those of the actors, the
 * federation and Pekko's cluster machinery, for both nodes together. Every room has one member on
 * each node. Churn replaces {@code --churn} rooms per second (both members leave, so the room
 * empties on both nodes, and a new room with a member on each node takes its place).
 *
 * <p>Once a second a probe measures what a user sees: a member on node 2 sits in a new room, a
 * member joins it on node 1, and the time until node 2's member is told (join latency across nodes)
 * is recorded; then an admin push on node 1 must reach node 2's member ("events arrive"). Each
 * report line gives both nodes' rooms and sessions, heap after a full GC, the process's CPU over
 * the interval, probe join latency (p50 / p99 / max) and the probes' pushes that arrived.
 */
public final class ClusterRooms {

  private static final String NODE =
      """
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
      pekko.cluster.typed.receptionist.distributed-data.gossip-interval = 500ms
      pekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off
      pekko.loglevel = WARNING
      lobby.cluster.enabled = on
      # Sessions here have no client to answer Pings: no client timeout during the run.
      lobby.heartbeat-interval = 1h
      lobby.client-timeout = 2h
      """;

  private final int rooms;
  private final int churnPerSecond;
  private final Duration duration;
  private final Duration report;
  private final List<ActorSystem<Void>> systems;
  private final List<ActorRef<Lobby.Command>> lobbies;

  /** Rooms alive, oldest first: each with its member on node 1 and on node 2. */
  private final ArrayDeque<SessionId[]> live = new ArrayDeque<>();

  private final Map<SessionId, Probe> probes = new ConcurrentHashMap<>();
  private final LongAdder welcomes = new LongAdder();
  private final LongAdder remoteJoins = new LongAdder();
  private long roomSeq;

  private ClusterRooms(Map<String, String> options) {
    rooms = Integer.parseInt(options.getOrDefault("rooms", "10000"));
    churnPerSecond = Integer.parseInt(options.getOrDefault("churn", "50"));
    duration = Duration.ofSeconds(Long.parseLong(options.getOrDefault("duration", "120")));
    report = Duration.ofSeconds(Long.parseLong(options.getOrDefault("report", "20")));
    Config config =
        ConfigFactory.parseString(NODE + options.getOrDefault("config", ""))
            .withFallback(ConfigFactory.load());
    ActorSystem<Void> first = ActorSystem.create(Behaviors.empty(), "lobby", config);
    ActorSystem<Void> second = ActorSystem.create(Behaviors.empty(), "lobby", config);
    systems = List.of(first, second);
    for (ActorSystem<Void> s : systems) {
      Cluster.get(s).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    }
    LobbySettings settings = LobbySettings.fromConfig(config);
    lobbies =
        systems.stream()
            .map(
                s ->
                    s.systemActorOf(
                        Lobby.create(settings, LobbyRoutes.codecs(), Federation.fromConfig(config)),
                        "lobby",
                        org.apache.pekko.actor.typed.Props.empty()))
            .toList();
  }

  /** Parses {@code --key value} options and runs. */
  public static void main(String[] args) throws Exception {
    Map<String, String> options = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      options.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    ClusterRooms bench = new ClusterRooms(options);
    try {
      bench.run();
    } finally {
      bench.systems.forEach(ActorSystem::terminate);
      for (ActorSystem<Void> s : bench.systems) {
        s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  /** A member's transport: counts welcomes and remote joins, and tells a waiting probe. */
  private Transport countingTransport(SessionId id) {
    return Transport.textSink(
        frame -> {
          ClientEvent event = frame.event();
          if (event instanceof ClientEvent.Welcome) {
            welcomes.increment();
          } else if (event instanceof ClientEvent.Joined) {
            remoteJoins.increment();
          }
          Probe probe = probes.get(id);
          if (probe != null) {
            probe.seen(event);
          }
        });
  }

  /** What a probe's member on node 2 waits for. */
  private static final class Probe {
    final SessionId joiner;
    final CompletableFuture<Long> welcomed = new CompletableFuture<>();
    final CompletableFuture<Long> joined = new CompletableFuture<>();
    final CompletableFuture<Long> pushed = new CompletableFuture<>();

    Probe(SessionId joiner) {
      this.joiner = joiner;
    }

    void seen(ClientEvent event) {
      long now = System.nanoTime();
      if (event instanceof ClientEvent.Welcome) {
        welcomed.complete(now);
      } else if (event instanceof ClientEvent.Joined j && j.id().equals(joiner)) {
        joined.complete(now);
      } else if (event instanceof ClientEvent.Message) {
        pushed.complete(now);
      }
    }
  }

  private SessionId connect(int node, RoomId room) {
    SessionId id = SessionId.random();
    connect(node, room, id);
    return id;
  }

  private void connect(int node, RoomId room, SessionId id) {
    lobbies
        .get(node)
        .tell(
            new Lobby.Connect(
                id, room, Mode.JSON, countingTransport(id), systems.get(node).ignoreRef()));
  }

  private void openRoom() {
    RoomId room = new RoomId("r" + roomSeq++);
    live.add(new SessionId[] {connect(0, room), connect(1, room)});
  }

  private void closeOldestRoom() {
    SessionId[] members = live.poll();
    if (members != null) {
      lobbies.get(0).tell(new Lobby.Disconnected(members[0]));
      lobbies.get(1).tell(new Lobby.Disconnected(members[1]));
    }
  }

  private void run() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!systems.stream().allMatch(s -> upMembers(s) == 2)) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the cluster did not form within 30 s");
      }
      Thread.sleep(100);
    }
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    System.gc();
    long heapBefore = memory.getHeapMemoryUsage().getUsed();
    System.out.printf(
        Locale.ROOT,
        "cluster up; heap after GC %.1f MiB; opening %d rooms%n",
        mib(heapBefore),
        rooms);
    long start = System.nanoTime();
    for (int i = 0; i < rooms; i++) {
      openRoom();
      if (i % 500 == 499) {
        // Let the nodes keep up rather than queueing 10,000 joins at once.
        while (welcomes.sum() < 2L * (i + 1) - 200) {
          Thread.sleep(5);
        }
      }
    }
    while (welcomes.sum() < 2L * rooms) {
      Thread.sleep(10);
    }
    System.out.printf(
        Locale.ROOT,
        "%d rooms open (a member on each node) in %.1f s%n",
        rooms,
        (System.nanoTime() - start) / 1e9);

    ScheduledExecutorService churn = Executors.newSingleThreadScheduledExecutor();
    int perTick = Math.max(1, churnPerSecond / 10);
    if (churnPerSecond > 0) {
      churn.scheduleAtFixedRate(
          () -> {
            synchronized (live) {
              for (int i = 0; i < perTick; i++) {
                closeOldestRoom();
                openRoom();
              }
            }
          },
          100,
          100,
          TimeUnit.MILLISECONDS);
    }
    System.out.println(
        "t(s)  rooms(n1/n2)  sessions(n1/n2)  heap-after-GC(MiB)  CPU(%)  join-latency p50/p99/max"
            + " (ms)  pushes arrived  churned");
    long end = System.nanoTime() + duration.toNanos();
    long cpuBefore = os.getProcessCpuTime();
    long wallBefore = System.nanoTime();
    long nextReport = wallBefore + report.toNanos();
    Histogram joins = new Histogram(3_600_000L, 3);
    int probesSent = 0;
    int pushesArrived = 0;
    int probeSeq = 0;
    long churnedAtStart = roomSeq;
    while (System.nanoTime() < end) {
      long probeStart = System.nanoTime();
      ProbeOutcome outcome = probe(probeSeq++);
      probesSent++;
      if (outcome.joinMillis >= 0) {
        joins.recordValue(outcome.joinMillis);
      }
      if (outcome.pushed) {
        pushesArrived++;
      }
      if (System.nanoTime() >= nextReport) {
        long cpu = os.getProcessCpuTime();
        long wall = System.nanoTime();
        double cpuPercent = 100.0 * (cpu - cpuBefore) / (wall - wallBefore);
        Lobby.Stats s1 = stats(0);
        Lobby.Stats s2 = stats(1);
        System.gc();
        double heap = mib(memory.getHeapMemoryUsage().getUsed());
        long churned;
        synchronized (live) {
          churned = roomSeq - churnedAtStart;
        }
        System.out.printf(
            Locale.ROOT,
            "%4d  %6d/%-6d  %7d/%-7d  %18.1f  %6.0f  %9d / %5d / %5d        %5d/%-5d  %7d%n",
            TimeUnit.NANOSECONDS.toSeconds(wall - (end - duration.toNanos())),
            s1.rooms(),
            s2.rooms(),
            s1.sessions(),
            s2.sessions(),
            heap,
            cpuPercent,
            joins.getValueAtPercentile(50),
            joins.getValueAtPercentile(99),
            joins.getMaxValue(),
            pushesArrived,
            probesSent,
            churned);
        cpuBefore = os.getProcessCpuTime();
        wallBefore = System.nanoTime();
        nextReport = wallBefore + report.toNanos();
        joins.reset();
        probesSent = 0;
        pushesArrived = 0;
      }
      long sleep =
          TimeUnit.SECONDS.toMillis(1)
              - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - probeStart);
      if (sleep > 0) {
        Thread.sleep(sleep);
      }
    }
    churn.shutdown();
    churn.awaitTermination(5, TimeUnit.SECONDS);
    synchronized (live) {
      while (!live.isEmpty()) {
        closeOldestRoom();
      }
    }
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (stats(0).sessions() + stats(1).sessions() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(200);
    }
    System.out.printf(
        Locale.ROOT,
        "end: sessions %d/%d, rooms %d/%d%n",
        stats(0).sessions(),
        stats(1).sessions(),
        stats(0).rooms(),
        stats(1).rooms());
  }

  private record ProbeOutcome(long joinMillis, boolean pushed) {}

  /**
   * A new room with a member on node 2; a member joins on node 1: how long until node 2's member is
   * told, and whether a push on node 1 then reaches it. Gives up after 15 s.
   */
  private ProbeOutcome probe(int seq) throws Exception {
    RoomId room = new RoomId("probe-" + seq);
    SessionId waiting = SessionId.random();
    SessionId joiner = SessionId.random();
    Probe probe = new Probe(joiner);
    probes.put(waiting, probe);
    long joinMillis = -1;
    boolean pushed = false;
    try {
      connect(1, room, waiting);
      probe.welcomed.get(15, TimeUnit.SECONDS);
      long joinedAt = System.nanoTime();
      connect(0, room, joiner);
      try {
        joinMillis =
            TimeUnit.NANOSECONDS.toMillis(probe.joined.get(15, TimeUnit.SECONDS) - joinedAt);
        lobbies
            .get(0)
            .tell(
                new Lobby.Publish(room, new Payload.Json("\"probe\""), systems.get(0).ignoreRef()));
        probe.pushed.get(15, TimeUnit.SECONDS);
        pushed = true;
      } catch (TimeoutException e) {
        // counted as missing
      }
    } finally {
      probes.remove(waiting);
      lobbies.get(1).tell(new Lobby.Disconnected(waiting));
      lobbies.get(0).tell(new Lobby.Disconnected(joiner));
    }
    return new ProbeOutcome(joinMillis, pushed);
  }

  private Lobby.Stats stats(int node) throws Exception {
    return AskPattern.<Lobby.Command, Lobby.Stats>ask(
            lobbies.get(node),
            Lobby.GetStats::new,
            Duration.ofSeconds(30),
            systems.get(node).scheduler())
        .toCompletableFuture()
        .get();
  }

  private static long upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up())
        .count();
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }
}
