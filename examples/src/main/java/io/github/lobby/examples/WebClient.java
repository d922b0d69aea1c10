package io.github.lobby.examples;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResourceDirectory;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.path;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.reject;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import com.typesafe.config.Config;
import io.github.lobby.http.codec.WireJson;
import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The browser client of the example server: {@code GET /} is the chat page, {@code /assets/*} its
 * script and style sheet, all from the classpath ({@code web/}), and {@code GET
 * /client-config.json} tells the page whether the server wants a token. A WebSocket upgrade to
 * {@code /} or {@code /client-config.json} is left to the Lobby's routes (the empty path is no
 * room, the other is a room like any).
 */
public final class WebClient {

  private static final List<RawHeader> HEADERS =
      List.of(
          // Only this server's own page, script, style sheet and WebSocket.
          RawHeader.create("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
          RawHeader.create("X-Content-Type-Options", "nosniff"),
          RawHeader.create("Referrer-Policy", "no-referrer"));

  /**
   * What {@code GET /client-config.json} answers.
   *
   * @param auth {@code lobby.auth.mode}: {@code none}, {@code jwt} or {@code custom}
   */
  record ClientConfig(String auth) {}

  private WebClient() {}

  /**
   * The page, its assets and its configuration; every other request is rejected, for the Lobby's
   * routes to take.
   *
   * @param config the server's configuration: {@code lobby.auth.mode} decides whether the page asks
   *     for a token ({@code none} when the key is absent)
   */
  public static Route route(Config config) {
    String mode =
        config.hasPath("lobby.auth.mode") ? config.getString("lobby.auth.mode") : "none";
    HttpResponse clientConfig =
        HttpResponse.create()
            .withEntity(
                HttpEntities.create(
                    ContentTypes.APPLICATION_JSON, WireJson.write(new ClientConfig(mode))))
            // The mode may change with the next start; the page asks again each time it loads.
            .addHeader(RawHeader.create("Cache-Control", "no-store"));
    return get(
        () ->
            respondWithHeaders(
                List.copyOf(HEADERS),
                () ->
                    concat(
                        pathSingleSlash(
                            () ->
                                unlessUpgrade(
                                    () ->
                                        getFromResource(
                                            "web/index.html", ContentTypes.TEXT_HTML_UTF8))),
                        path(
                            "client-config.json",
                            () -> unlessUpgrade(() -> complete(clientConfig))),
                        pathPrefix(
                            "assets",
                            () ->
                                concat(
                                    getFromResourceDirectory("web/assets"),
                                    complete(notFound()))))));
  }

  /** {@code inner}, unless the request is a WebSocket upgrade: that is the Lobby's to answer. */
  private static Route unlessUpgrade(Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Upgrade",
        upgrade ->
            upgrade.filter("websocket"::equalsIgnoreCase).isPresent() ? reject() : inner.get());
  }

  private static HttpResponse notFound() {
    return HttpResponse.create()
        .withStatus(StatusCodes.NOT_FOUND)
        .withEntity(
            HttpEntities.create(
                ContentTypes.APPLICATION_JSON,
                "{\"error\":\"not_found\",\"message\":\"no such asset\"}"));
  }
}
