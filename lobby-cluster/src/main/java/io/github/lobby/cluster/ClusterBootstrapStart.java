package io.github.lobby.cluster;

import com.typesafe.config.ConfigException;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts Pekko Management (the HTTP contact point that other nodes probe) and Cluster Bootstrap
 * (which finds the other nodes through Pekko Discovery, and joins the cluster they have or forms
 * one with them), as Pekko's own autostart does: {@code PekkoManagement.get(system).start()}, then
 * {@code ClusterBootstrap.get(system).start()}. Their settings are Pekko's own, read from the
 * ActorSystem's configuration ({@code pekko.management.*}, {@code pekko.discovery.*}).
 *
 * <p>By name, through reflection: the Pekko Management jars have no module name (no {@code
 * Automatic-Module-Name}, and the name Java derives from their file names, {@code
 * pekko.management.2.13}, is not a valid one), so this named module cannot require them; they are
 * on the class path, whose public classes reflection reaches from a named module too. They are
 * optional dependencies of this module: an application that turns bootstrap on adds them.
 */
final class ClusterBootstrapStart {

  private static final Logger log = LoggerFactory.getLogger(ClusterBootstrapStart.class);

  /** Pekko Management's Java API. */
  static final String MANAGEMENT = "org.apache.pekko.management.javadsl.PekkoManagement";

  /** Cluster Bootstrap's extension (Java callers use its static {@code get}). */
  static final String BOOTSTRAP = "org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap";

  private ClusterBootstrapStart() {}

  /**
   * Checks that Pekko Management and Cluster Bootstrap are on the class path.
   *
   * @throws ConfigException.BadValue naming {@code lobby.cluster.bootstrap} and the artifact to add
   */
  static void checkAvailable() {
    for (String name : new String[] {MANAGEMENT, BOOTSTRAP}) {
      try {
        Class.forName(name, false, ClusterBootstrapStart.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        throw new ConfigException.BadValue(
            "lobby.cluster.bootstrap",
            "is on, but Pekko Management's Cluster Bootstrap is not on the class path ("
                + name
                + " not found): add org.apache.pekko:pekko-management-cluster-bootstrap_2.13"
                + " (with pekko-management_2.13) to the application");
      }
    }
  }

  /**
   * Starts Pekko Management, then Cluster Bootstrap. When Pekko Management cannot bind its port
   * (taken, or a host that is not this machine's), the ActorSystem is terminated, as Pekko's own
   * autostart does: a node without its contact point can never join by bootstrap, and an
   * orchestrator restarts a process that stops rather than one that waits for ever.
   */
  static void start(ActorSystem<?> system) {
    Object management = extension(MANAGEMENT, system);
    CompletionStage<?> bound = (CompletionStage<?>) call(management, "start");
    bound.whenComplete(
        (uri, error) -> {
          if (error != null) {
            log.error(
                "Pekko Management could not bind pekko.management.http.hostname:port ({}):"
                    + " this node cannot form or join a cluster by Cluster Bootstrap; terminating"
                    + " the ActorSystem",
                error.toString());
            system.terminate();
          } else {
            log.info(
                "Pekko Management at {}; Cluster Bootstrap looks for the other nodes", uri);
          }
        });
    call(extension(BOOTSTRAP, system), "start");
  }

  /** The extension {@code className.get(system)}. */
  private static Object extension(String className, ActorSystem<?> system) {
    try {
      Class<?> type = Class.forName(className, true, ClusterBootstrapStart.class.getClassLoader());
      return type.getMethod("get", ClassicActorSystemProvider.class).invoke(null, system);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(
          className + ".get failed: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("cannot reach " + className + ": " + e, e);
    }
  }

  /** Calls the public method {@code name()} of {@code target}. */
  private static Object call(Object target, String name) {
    try {
      return target.getClass().getMethod(name).invoke(target);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException(
          target.getClass().getName() + "." + name + " failed: " + e.getCause(), e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "cannot call " + target.getClass().getName() + "." + name + ": " + e, e);
    }
  }
}
