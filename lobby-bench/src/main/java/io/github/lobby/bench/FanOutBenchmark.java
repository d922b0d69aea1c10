package io.github.lobby.bench;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import io.github.lobby.http.LobbyRoutes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The in-process hot path of a broadcast: a client's text reaches its Session, which decodes it
 * and hands it to the room actor, which renders it once per mode and offers the shared frame to
 * every member's transport. Transports here only count (no network), so this is the actor and
 * rendering cost that the server adds per delivery. One operation is one broadcast delivered to
 * every member; deliveries per second are operations per second times {@code members}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FanOutBenchmark {

  @Param({"100", "1000"})
  public int members;

  @Param({"CLASSIC", "JSON"})
  public String mode;

  /** {@code none}: no registry (LobbyMetrics.NONE); {@code micrometer}: a SimpleMeterRegistry. */
  @Param({"none", "micrometer"})
  public String metrics;

  private ActorSystem<Void> system;
  private final AtomicLong delivered = new AtomicLong();
  private ActorRef<Session.Command> sender;
  private long expected;

  @Setup(Level.Trial)
  public void start() throws Exception {
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "bench",
            ConfigFactory.parseString("pekko.loglevel = WARNING").withFallback(ConfigFactory.load()));
    LobbySettings settings =
        LobbySettings.fromConfig(system.settings().config()).toBuilder()
            .heartbeatInterval(Duration.ofHours(1))
            .clientTimeout(Duration.ofHours(2))
            // The sender broadcasts far faster than any client may: no inbound limit here.
            .maxInboundPerSecond(Integer.MAX_VALUE)
            .inboundRateExceeded(LobbySettings.RateExceeded.THROTTLE)
            .maxInboundBytesPerSecond(Integer.MAX_VALUE)
            .build();
    ActorRef<Lobby.Command> lobby =
        system.systemActorOf(
            Lobby.create(
                settings,
                LobbyRoutes.codecs(),
                io.github.lobby.core.Federation.NONE,
                metrics.equals("micrometer")
                    ? io.github.lobby.core.LobbyMetrics.of(
                        new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
                    : io.github.lobby.core.LobbyMetrics.NONE),
            "lobby",
            org.apache.pekko.actor.typed.Props.empty());
    RoomId room = new RoomId("bench");
    List<ActorRef<Session.Command>> sessions = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      ActorRef<Session.Command> session =
          AskPattern.<Lobby.Command, ActorRef<Session.Command>>ask(
                  lobby,
                  replyTo ->
                      new Lobby.Connect(
                          SessionId.random(), room, Mode.valueOf(mode), Transport.textSink(frame -> delivered.incrementAndGet()), replyTo),
                  Duration.ofSeconds(5),
                  system.scheduler())
              .toCompletableFuture()
              .get();
      sessions.add(session);
    }
    sender = sessions.get(0);
    // Welcomes and join notices: members * (members + 1) / 2 offers.
    long notices = (long) members * (members + 1) / 2;
    awaitDelivered(notices);
    expected = delivered.get();
  }

  @TearDown(Level.Trial)
  public void stop() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().join();
  }

  private static final String CLASSIC_TEXT = "0123456789012345678901234567890123456789012345";
  private static final String JSON_TEXT = "{\"type\":\"message\",\"msg\":\"" + CLASSIC_TEXT + "\"}";

  @Benchmark
  public long broadcast() {
    expected += members;
    sender.tell(new Session.ClientText(mode.equals("JSON") ? JSON_TEXT : CLASSIC_TEXT));
    awaitDelivered(expected);
    return expected;
  }

  private void awaitDelivered(long target) {
    while (delivered.get() < target) {
      Thread.onSpinWait();
    }
  }
}
