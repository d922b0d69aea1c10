package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;

/**
 * Pekko Management and Cluster Bootstrap are optional dependencies of lobby-cluster: without them
 * on the class path a federation without bootstrap is made as usual, and one with bootstrap is
 * refused, naming the artifact to add. Each scenario runs in a class loader of its own over the
 * test class path less the Pekko Management jars.
 */
class WithoutPekkoManagementTest {

  @Test
  void withoutBootstrapTheFederationNeedsNoPekkoManagement() throws Exception {
    assertEquals("made", run(Off.class));
  }

  @Test
  void withBootstrapItIsRefusedNamingTheArtifact() throws Exception {
    String refused = run(On.class);
    assertTrue(refused.contains("lobby.cluster.bootstrap"), refused);
    assertTrue(refused.contains("pekko-management-cluster-bootstrap_2.13"), refused);
  }

  /** The check itself: the loader has no Pekko Management. */
  @Test
  void theLoaderHasNoPekkoManagement() throws Exception {
    try (URLClassLoader loader = withoutPekkoManagement()) {
      assertThrows(
          ClassNotFoundException.class,
          () -> Class.forName(ClusterBootstrapStart.BOOTSTRAP, false, loader));
      Class.forName(ClusterFederation.class.getName(), false, loader);
    }
  }

  /** Makes a federation from the reference configuration. */
  public static final class Off implements Callable<String> {
    @Override
    public String call() {
      ClusterFederation.fromConfig(ConfigFactory.load());
      return "made";
    }
  }

  /** Makes a federation with bootstrap on, and returns why it was refused. */
  public static final class On implements Callable<String> {
    @Override
    public String call() {
      try {
        ClusterFederation.fromConfig(
            ConfigFactory.parseString("lobby.cluster.bootstrap = on")
                .withFallback(ConfigFactory.load()));
        return "made";
      } catch (ConfigException e) {
        return e.getMessage();
      }
    }
  }

  private static String run(Class<? extends Callable<String>> scenario) throws Exception {
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    try (URLClassLoader loader = withoutPekkoManagement()) {
      thread.setContextClassLoader(loader);
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

  /** The test class path less the Pekko Management jars, over the platform class loader. */
  private static URLClassLoader withoutPekkoManagement() throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<URL> urls = new ArrayList<>();
    for (String entry : classpath.split(File.pathSeparator)) {
      if (!entry.isEmpty() && !new File(entry).getName().startsWith("pekko-management")) {
        urls.add(new File(entry).toURI().toURL());
      }
    }
    return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
  }
}
