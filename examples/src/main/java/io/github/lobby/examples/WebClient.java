package io.github.lobby.examples;

import static org.apache.pekko.http.javadsl.server.Directives.complete;
import static org.apache.pekko.http.javadsl.server.Directives.concat;
import static org.apache.pekko.http.javadsl.server.Directives.get;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResource;
import static org.apache.pekko.http.javadsl.server.Directives.getFromResourceDirectory;
import static org.apache.pekko.http.javadsl.server.Directives.optionalHeaderValueByName;
import static org.apache.pekko.http.javadsl.server.Directives.pathPrefix;
import static org.apache.pekko.http.javadsl.server.Directives.pathSingleSlash;
import static org.apache.pekko.http.javadsl.server.Directives.reject;
import static org.apache.pekko.http.javadsl.server.Directives.respondWithHeaders;

import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The browser client of the example server: {@code GET /} is the chat page and {@code
 * /assets/*} its script and style sheet, all from the classpath ({@code web/}). A WebSocket
 * upgrade to {@code /} is left to the Lobby's routes, which refuse it (the empty path is no room).
 */
public final class WebClient {

  private static final List<RawHeader> HEADERS =
      List.of(
          // Only this server's own page, script, style sheet and WebSocket.
          RawHeader.create("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
          RawHeader.create("X-Content-Type-Options", "nosniff"),
          RawHeader.create("Referrer-Policy", "no-referrer"));

  private WebClient() {}

  /** The page and its assets; every other request is rejected, for the Lobby's routes to take. */
  public static Route route() {
    return get(
        () ->
            respondWithHeaders(
                List.copyOf(HEADERS),
                () ->
                    concat(
                        pathSingleSlash(
                            () ->
                                optionalHeaderValueByName(
                                    "Upgrade",
                                    upgrade ->
                                        upgrade.filter("websocket"::equalsIgnoreCase).isPresent()
                                            ? reject()
                                            : getFromResource(
                                                "web/index.html", ContentTypes.TEXT_HTML_UTF8))),
                        pathPrefix(
                            "assets",
                            () ->
                                concat(
                                    getFromResourceDirectory("web/assets"),
                                    complete(notFound()))))));
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
