package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;

/**
 * Micrometer is an optional dependency of lobby-http as of lobby-core: a server started without a
 * registry must run with no Micrometer class on the classpath. The scenario runs in a class loader
 * that loads the test classpath itself, less the Micrometer jars, and notes every Micrometer class
 * anything asks it for (lobby-core's test of the same name checks that this loader catches one).
 */
class WithoutMicrometerTest {

  @Test
  void aServerWithoutARegistryRunsWithNoMicrometerClassOnTheClasspath() throws Throwable {
    HidingMicrometer loader = HidingMicrometer.fromTestClasspath();
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(loader);
    String seen;
    try {
      @SuppressWarnings("unchecked")
      Callable<String> scenario =
          (Callable<String>)
              Class.forName(NoMetrics.class.getName(), true, loader)
                  .getDeclaredConstructor()
                  .newInstance();
      seen = scenario.call();
    } catch (Throwable t) {
      // The precise reason first: a Micrometer class touched fails the scenario too.
      assertEquals(Set.of(), loader.asked, "Micrometer classes asked for without a registry");
      throw t;
    } finally {
      thread.setContextClassLoader(previous);
    }
    assertEquals(Set.of(), loader.asked, "Micrometer classes asked for without a registry");
    assertEquals(NoMetrics.DONE, seen);
  }

  /** Loads everything but the JDK from the test classpath itself; refuses and notes Micrometer. */
  static final class HidingMicrometer extends URLClassLoader {
    final Set<String> asked = ConcurrentHashMap.newKeySet();

    private HidingMicrometer(URL[] urls) {
      super("without-micrometer", urls, ClassLoader.getPlatformClassLoader());
    }

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
   * A server as an application without metrics starts it, on the lean path: two clients join,
   * broadcast, whisper to nobody, get an admin push, and the admin API answers. Public with a
   * public constructor: the test creates it reflectively from the other loader.
   */
  public static final class NoMetrics implements Callable<String> {
    static final String DONE = "every path ran";

    @Override
    public String call() {
      // A missing class is a fatal error to Pekko: stop this system, not the test's JVM.
      try (TestServer server = new TestServer("pekko.jvm-exit-on-fatal-error = off")) {
        JdkClient classic = JdkClient.connect(server, "/no-metrics");
        String classicId = classic.welcomeId();
        JdkClient json = JdkClient.connectJson(server, "/no-metrics");
        assertTrue(json.next().contains("\"welcome\""));
        assertTrue(classic.next().contains("joined"));

        classic.send("hello");
        assertTrue(classic.next().contains("hello"));
        assertTrue(json.next().contains("hello"));

        json.send("{\"type\":\"whisper\",\"to\":\"" + classicId + "\",\"msg\":\"psst\"}");
        assertTrue(classic.next().contains("psst"));
        String nobody = java.util.UUID.randomUUID().toString();
        json.send("{\"type\":\"whisper\",\"to\":\"" + nobody + "\",\"msg\":\"?\"}");
        assertTrue(json.next().contains("no_session"));

        assertEquals(200, server.adminPost("/rooms/no-metrics/messages", "{\"n\":1}").statusCode());
        assertTrue(classic.next().contains("\"n\""));
        assertTrue(json.next().contains("\"n\""));
        assertEquals(200, server.adminGet("/rooms/no-metrics").statusCode());

        classic.close();
        json.close();
        assertEquals(1000, json.awaitClose(Duration.ofSeconds(5)));
        return DONE;
      }
    }
  }
}
