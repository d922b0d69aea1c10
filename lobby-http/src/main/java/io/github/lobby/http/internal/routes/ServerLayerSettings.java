package io.github.lobby.http.internal.routes;

import com.typesafe.config.Config;
import io.github.lobby.http.JsonParsingErrorHandler;
import java.time.Duration;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The Pekko HTTP settings of {@code LobbyServer}'s own listeners, one place for both: the lean
 * path's plain HTTP connections and the TLS binding's connections get the same server layer.
 */
public final class ServerLayerSettings {

  private ServerLayerSettings() {}

  /**
   * {@code pekko.http.server} of the system with Lobby's changes: no header value cache, the
   * remote address attribute on (the per-address connection limit needs each request's peer) and
   * Lobby's JSON parsing error answers.
   */
  public static org.apache.pekko.http.javadsl.settings.ServerSettings create(ActorSystem<?> system) {
    org.apache.pekko.http.javadsl.settings.ServerSettings defaults =
        org.apache.pekko.http.javadsl.settings.ServerSettings.create(system.settings().config());
    return defaults
        // Plain HTTP connections rarely repeat header values: caching them only copies the
        // header parser's tables into every connection.
        .withParserSettings(
            defaults
                .getParserSettings()
                .withHeaderValueCacheLimits(Map.<String, Object>of("default", 0)))
        // The per-address connection limit needs the peer address of each request.
        .withRemoteAddressAttribute(true)
        .withParsingErrorHandler(JsonParsingErrorHandler.class.getName());
  }

  /** Pekko HTTP's {@code idle-timeout} ({@code infinite}: ten years). */
  public static Duration idleTimeout(ActorSystem<?> system) {
    Config c = system.settings().config();
    String path = "pekko.http.server.idle-timeout";
    return "infinite".equals(c.getString(path)) ? Duration.ofDays(3650) : c.getDuration(path);
  }
}
