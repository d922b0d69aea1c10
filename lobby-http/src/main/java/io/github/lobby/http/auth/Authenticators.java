package io.github.lobby.http.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import io.github.lobby.core.auth.Authenticator;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Makes the {@link Authenticator} that {@code lobby.auth} configures, once at start: none for
 * {@code mode = none}, a {@link JwtAuthenticator} for {@code jwt}, the application's class for
 * {@code custom}. Every problem is a {@link ConfigException} naming the key, so that a server
 * whose authentication is misconfigured does not start.
 */
public final class Authenticators {

  private static final String CUSTOM_CLASS = "lobby.auth.custom-class";

  private Authenticators() {}

  /** The admin check when {@code lobby.auth.admin-jwt} is off: no JWT opens the admin API. */
  public static final Function<String, CompletionStage<Boolean>> NO_ADMIN_JWT =
      token -> CompletableFuture.completedFuture(false);

  /**
   * The authenticator of a configuration, with a small pool of daemon threads of its own for
   * verification when the keys come from a JWK Set URL (see {@link JwtAuthenticator}). A server
   * that has a dispatcher for blocking I/O should pass it to {@link #fromConfig(Config,
   * ClassLoader, Executor)} instead.
   *
   * @param config the application's configuration, with lobby-http's {@code reference.conf}
   * @param loader where a {@code custom-class} is loaded from
   * @return empty for {@code mode = none}, the authenticator otherwise
   * @throws ConfigException naming the key, when {@code lobby.auth} is not valid (see {@link
   *     AuthSettings#fromConfig}), a JWK Set file cannot be read, or a custom class is missing, is
   *     not an {@link Authenticator}, has no suitable constructor or fails in it
   */
  public static Optional<Authenticator> fromConfig(Config config, ClassLoader loader) {
    return fromConfig(config, loader, SharedPool::execute);
  }

  /**
   * The authenticator of a configuration.
   *
   * @param config the application's configuration, with lobby-http's {@code reference.conf}
   * @param loader where a {@code custom-class} is loaded from
   * @param blocking where a {@link JwtAuthenticator} verifies tokens when the keys come from a
   *     JWK Set URL, which may block on a fetch (a Pekko server passes {@code
   *     system.dispatchers().lookup(DispatcherSelector.blocking())}); unused otherwise
   * @return empty for {@code mode = none}, the authenticator otherwise
   * @throws ConfigException as {@link #fromConfig(Config, ClassLoader)} does
   */
  public static Optional<Authenticator> fromConfig(
      Config config, ClassLoader loader, Executor blocking) {
    Objects.requireNonNull(loader, "loader");
    Objects.requireNonNull(blocking, "blocking");
    AuthSettings settings = AuthSettings.fromConfig(config);
    return switch (settings.mode()) {
      case NONE -> Optional.empty();
      case JWT -> Optional.of(JwtAuthenticator.create(settings.jwt().orElseThrow(), blocking));
      case CUSTOM -> Optional.of(custom(settings.customClass().orElseThrow(), config, loader));
    };
  }

  /**
   * The admin API's check of a bearer token that is not the admin token ({@code
   * lobby.auth.admin-jwt}): {@link JwtAuthenticator#isAdmin(String)} when {@code admin-jwt} is on
   * (which needs {@code mode = jwt}), a check that accepts nothing otherwise.
   *
   * @param config the configuration the authenticator was made from
   * @param authenticator what {@link #fromConfig} made of it
   * @return whether a bearer token is a valid admin JWT ({@link JwtAuthenticator#isAdminAsync}:
   *     off the caller's thread when the keys come from a JWK Set URL)
   * @throws ConfigException when {@code lobby.auth} is not valid
   * @throws IllegalArgumentException when {@code admin-jwt} is on and the authenticator is not a
   *     {@link JwtAuthenticator}
   */
  public static Function<String, CompletionStage<Boolean>> adminCheck(
      Config config, Optional<Authenticator> authenticator) {
    if (!AuthSettings.fromConfig(config).adminJwt()) {
      return NO_ADMIN_JWT;
    }
    if (authenticator.orElse(null) instanceof JwtAuthenticator jwt) {
      return jwt::isAdminAsync;
    }
    throw new IllegalArgumentException(
        "lobby.auth.admin-jwt is on: the authenticator must be the JwtAuthenticator made from the"
            + " same configuration");
  }

  private static Authenticator custom(String name, Config config, ClassLoader loader) {
    Class<?> type;
    try {
      type = Class.forName(name, false, loader);
    } catch (ClassNotFoundException | LinkageError e) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "class " + name + " is not on the class path (" + e + ")", e);
    }
    if (!Authenticator.class.isAssignableFrom(type)) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "class " + name + " does not implement " + Authenticator.class.getName());
    }
    if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "class " + name + " is abstract; name a concrete class");
    }
    Constructor<?> constructor = constructor(type);
    try {
      return (Authenticator)
          (constructor.getParameterCount() == 1
              ? constructor.newInstance(config)
              : constructor.newInstance());
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof ConfigException ce) {
        throw ce;
      }
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "the constructor of " + name + " failed: " + cause, cause);
    } catch (ReflectiveOperationException | RuntimeException e) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "cannot create an instance of " + name + ": " + e, e);
    }
  }

  /** The public constructor taking a {@code Config}, else the public one taking nothing. */
  private static Constructor<?> constructor(Class<?> type) {
    if (!Modifier.isPublic(type.getModifiers())) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS, "class " + type.getName() + " is not public");
    }
    try {
      return type.getConstructor(Config.class);
    } catch (NoSuchMethodException e) {
      // then the one without arguments
    }
    try {
      return type.getConstructor();
    } catch (NoSuchMethodException e) {
      throw new ConfigException.BadValue(
          CUSTOM_CLASS,
          "class "
              + type.getName()
              + " has neither a public constructor taking com.typesafe.config.Config nor a public"
              + " one without arguments");
    }
  }

  /**
   * Verification threads for JWK Set URLs when the caller has none to give: four at most, as
   * daemons (they must not keep a JVM alive), gone after a minute idle. Created on first use.
   */
  private static final class SharedPool {
    private static final ThreadPoolExecutor POOL = create();

    static void execute(Runnable task) {
      POOL.execute(task);
    }

    private static ThreadPoolExecutor create() {
      AtomicInteger count = new AtomicInteger();
      ThreadFactory threads =
          task -> {
            Thread t = new Thread(task, "lobby-jwt-verify-" + count.incrementAndGet());
            t.setDaemon(true);
            return t;
          };
      ThreadPoolExecutor pool =
          new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), threads);
      pool.allowCoreThreadTimeOut(true);
      return pool;
    }
  }
}
