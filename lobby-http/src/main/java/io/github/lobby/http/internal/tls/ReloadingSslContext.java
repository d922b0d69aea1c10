package io.github.lobby.http.internal.tls;

import io.github.lobby.http.TlsSettings;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's {@link SSLContext} from {@code lobby.http.tls}, built again when its files change:
 * every {@code reload-interval} the files' contents are hashed, and a new hash builds a new
 * context that new connections get (open ones keep the session they have). Files that do not load
 * (half written, wrong password) are logged once and the context in use is kept.
 */
public final class ReloadingSslContext implements Supplier<SSLContext> {

  private static final Logger log = LoggerFactory.getLogger(ReloadingSslContext.class);

  private final TlsSettings settings;
  private final AtomicReference<SSLContext> current;
  private volatile String fingerprint;
  private volatile Cancellable schedule;

  /**
   * Loads the context now (the settings were checked, so this normally succeeds).
   *
   * @throws com.typesafe.config.ConfigException when the files do not give a certificate and key
   */
  public ReloadingSslContext(TlsSettings settings) {
    this.settings = settings;
    this.fingerprint = fingerprintOrEmpty();
    this.current = new AtomicReference<>(settings.sslContext());
  }

  /** The context new connections get. */
  @Override
  public SSLContext get() {
    return current.get();
  }

  /** Checks the files every {@code reload-interval} (never when it is zero) until {@link #stop}. */
  public void start(ActorSystem<?> system) {
    if (settings.reloadInterval().isZero()) {
      return;
    }
    schedule =
        system
            .scheduler()
            .scheduleWithFixedDelay(
                settings.reloadInterval(),
                settings.reloadInterval(),
                this::check,
                system.dispatchers().lookup(
                    org.apache.pekko.actor.typed.DispatcherSelector.blocking()));
  }

  /** Stops checking the files. */
  public void stop() {
    Cancellable s = schedule;
    if (s != null) {
      s.cancel();
    }
  }

  /** Builds a new context when the files changed since the last check; public for tests. */
  public void check() {
    String now = fingerprintOrEmpty();
    if (now.isEmpty() || now.equals(fingerprint)) {
      return;
    }
    fingerprint = now;
    try {
      SSLContext fresh = settings.sslContext();
      current.set(fresh);
      log.info("TLS certificate reloaded from {}", settings.files());
    } catch (RuntimeException e) {
      log.warn(
          "TLS files {} changed but do not load; keeping the certificate in use: {}",
          settings.files(),
          e.getMessage());
    }
  }

  private String fingerprintOrEmpty() {
    try {
      return settings.fingerprint();
    } catch (java.io.IOException e) {
      // A file being replaced may be missing for a moment: the next check sees it.
      log.debug("TLS files {} cannot be read now: {}", settings.files(), e.toString());
      return "";
    }
  }
}
