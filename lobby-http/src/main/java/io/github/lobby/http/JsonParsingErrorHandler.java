package io.github.lobby.http;

import io.github.lobby.core.internal.LogText;
import io.github.lobby.http.internal.routes.HttpErrors;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Answers requests too malformed to reach the routes (a bad request line, a header over the
 * limit, a URI too long) with the JSON error body, like every other error of the server. The
 * message is fixed per status: the parser's own words may quote the input or name its grammar.
 *
 * <p>{@link LobbyServer} installs it; a server bound by hand gets it with {@code
 * pekko.http.server.parsing.error-handler = "io.github.lobby.http.JsonParsingErrorHandler"}.
 */
public final class JsonParsingErrorHandler extends ParsingErrorHandler {

  /** Instantiated by Pekko HTTP from the configured class name. */
  public JsonParsingErrorHandler() {}

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    log.debug(
        "Unparsable request answered with {}: {}",
        status.intValue(),
        LogText.escape(withoutQuery(info.summary())));
    return HttpErrors.error(status, message(status.intValue()));
  }

  /**
   * The parser's summary without query strings: a request target it quotes may carry a credential
   * ({@code ?token=}), which must not reach a log line.
   */
  static String withoutQuery(String summary) {
    return summary == null ? null : summary.replaceAll("\\?[^\\s'\"]*", "?...");
  }

  private static String message(int status) {
    return switch (status) {
      case 413 -> "the request is too large";
      case 414 -> "the request URI is too long";
      case 431 -> "the request headers are too large";
      case 501 -> "the request uses an HTTP feature this server does not implement";
      case 505 -> "the HTTP version is not supported";
      default -> "the request is not valid HTTP";
    };
  }
}
