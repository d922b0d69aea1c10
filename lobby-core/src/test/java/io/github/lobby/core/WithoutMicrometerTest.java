package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.ProbeTransport.Closed;
import io.github.lobby.core.ProbeTransport.SentBinary;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.File;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/**
 * Micrometer is an optional dependency of lobby-core: a Lobby without a registry must run with no
 * Micrometer class on the classpath. Each test runs a scenario in a class loader of its own that
 * loads the test classpath itself, less the Micrometer jars, and notes every Micrometer class
 * anything asks it for (the JVM's own lookups while it links a class included), so that a class
 * touched on the way fails the test even where an actor would swallow the error.
 */
class WithoutMicrometerTest {

  @Test
  void aLobbyWithoutARegistryRunsWithNoMicrometerClassOnTheClasspath() throws Throwable {
    HidingMicrometer loader = HidingMicrometer.fromTestClasspath();
    String seen;
    try {
      seen = run(loader, NoMetrics.class);
    } catch (Throwable t) {
      // The precise reason first: a Micrometer class touched fails the scenario too.
      assertEquals(Set.of(), loader.asked, "Micrometer classes asked for without a registry");
      throw t;
    }
    assertEquals(Set.of(), loader.asked, "Micrometer classes asked for without a registry");
    assertEquals(NoMetrics.DONE, seen);
  }

  /** The check itself: a registry, even an unused one, needs Micrometer, and the loader says so. */
  @Test
  void theLoaderSeesEveryMicrometerClassARegistryNeeds() throws Exception {
    HidingMicrometer loader = HidingMicrometer.fromTestClasspath();
    assertThrows(NoClassDefFoundError.class, () -> run(loader, WithRegistry.class));
    assertFalse(loader.asked.isEmpty());
    assertTrue(loader.asked.stream().allMatch(name -> name.startsWith("io.micrometer.")));
  }

  /** Runs the scenario's {@code call} with the loader as the thread's context class loader. */
  private static String run(ClassLoader loader, Class<?> scenario) throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    try {
      @SuppressWarnings("unchecked")
      Callable<String> call =
          (Callable<String>)
              Class.forName(scenario.getName(), true, loader)
                  .getDeclaredConstructor()
                  .newInstance();
      return call.call();
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  /**
   * Loads everything but the JDK from the given classpath entries itself (not from the test's own
   * loader), and refuses, and notes, every class of {@code io.micrometer}.
   */
  static final class HidingMicrometer extends URLClassLoader {
    final Set<String> asked = ConcurrentHashMap.newKeySet();

    private HidingMicrometer(URL[] urls) {
      super("without-micrometer", urls, ClassLoader.getPlatformClassLoader());
    }

    /** Surefire's test classpath (the JVM's own one elsewhere), less the Micrometer jars. */
    static HidingMicrometer fromTestClasspath() throws MalformedURLException {
      String classpath =
          System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
      List<URL> urls = new ArrayList<>();
      for (String entry : classpath.split(File.pathSeparator)) {
        if (!entry.isEmpty() && !new File(entry).getName().startsWith("micrometer-")) {
          urls.add(new File(entry).toURI().toURL());
        }
      }
      return new HidingMicrometer(urls.toArray(URL[]::new));
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
      if (name.startsWith("io.micrometer.")) {
        asked.add(name);
        throw new ClassNotFoundException(name + " (hidden: Micrometer is not on this classpath)");
      }
      return super.loadClass(name, resolve);
    }
  }

  /**
   * What an application without metrics does, through every path that records a meter: sessions
   * in both modes join, broadcast (with a history, so broadcasts are timed and numbered), whisper
   * to a session and to nobody, send binary, are pushed to by an admin, overflow as a slow
   * consumer and leave. Public with a public constructor: the test creates it reflectively from
   * the other loader.
   */
  public static final class NoMetrics implements Callable<String> {
    static final String DONE = "every path ran";
    static final RoomId ROOM = new RoomId("no-metrics");

    private ActorTestKit testKit;
    private ActorRef<Lobby.Command> lobby;

    @Override
    public String call() {
      // A missing class is a fatal error to Pekko: stop this system, not the test's JVM.
      testKit =
          ActorTestKit.create(
              "without-micrometer",
              ConfigFactory.parseString("pekko.jvm-exit-on-fatal-error = off")
                  .withFallback(ConfigFactory.load()));
      try {
        LobbySettings settings =
            LobbySettings.fromConfig(
                ConfigFactory.parseString("lobby.history.size = 10")
                    .withFallback(ConfigFactory.load()));
        lobby = testKit.spawn(Lobby.create(settings, TestCodec.CODECS));

        Member a = connect(Mode.CLASSIC);
        Member b = connect(Mode.JSON);
        assertInstanceOf(ClientEvent.Joined.class, a.transport().expectEvent());

        a.says("hello");
        assertInstanceOf(ClientEvent.Message.class, a.transport().expectEvent());
        assertInstanceOf(ClientEvent.Message.class, b.transport().expectEvent());

        a.says("w " + b.id() + " psst");
        assertInstanceOf(ClientEvent.Whisper.class, b.transport().expectEvent());
        a.says("w " + SessionId.random() + " anyone?");
        assertInstanceOf(ClientEvent.NoSession.class, a.transport().expectEvent());

        ByteString data = ByteString.fromString("bytes");
        a.session().tell(new Session.ClientBinary(data));
        a.transport().probe.expectMessage(new SentBinary(data));

        TestProbe<Lobby.Published> published = testKit.createTestProbe();
        lobby.tell(new Lobby.Publish(ROOM, new Payload.Json("{\"n\":1}"), published.ref()));
        assertEquals(2, published.receiveMessage().delivered());
        a.transport().expectEvent();
        b.transport().expectEvent();

        b.transport().full.set(true);
        a.says("flood");
        a.transport().expectEvent();
        b.transport().probe.expectMessage(new Closed(CloseCodes.POLICY_VIOLATION, "slow consumer"));
        assertInstanceOf(ClientEvent.Left.class, a.transport().expectEvent());

        lobby.tell(new Lobby.Disconnected(a.id()));
        TestProbe<Lobby.Stats> stats = testKit.createTestProbe();
        stats.awaitAssert(
            Duration.ofSeconds(3),
            () -> {
              lobby.tell(new Lobby.GetStats(stats.ref()));
              assertEquals(0, stats.receiveMessage().sessions());
              return null;
            });
        return DONE;
      } finally {
        testKit.shutdownTestKit();
      }
    }

    private Member connect(Mode mode) {
      ProbeTransport transport = new ProbeTransport(testKit);
      SessionId id = SessionId.random();
      TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
      lobby.tell(new Lobby.Connect(id, ROOM, mode, transport, reply.ref()));
      Member member = new Member(id, transport, reply.receiveMessage());
      assertInstanceOf(ClientEvent.Welcome.class, transport.expectEvent());
      return member;
    }

    record Member(SessionId id, ProbeTransport transport, ActorRef<Session.Command> session) {
      void says(String text) {
        session.tell(new Session.ClientText(text));
      }
    }
  }

  /** Creates a registry's metrics and nothing else. */
  public static final class WithRegistry implements Callable<String> {
    @Override
    public String call() {
      return LobbyMetrics.of(new SimpleMeterRegistry()).toString();
    }
  }
}
