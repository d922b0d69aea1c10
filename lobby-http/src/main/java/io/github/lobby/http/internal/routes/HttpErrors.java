package io.github.lobby.http.internal.routes;

import io.github.lobby.core.RoomId;
import io.github.lobby.http.codec.AdminJson;
import io.github.lobby.http.codec.WireJson;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.util.ByteString;

/**
 * Every HTTP error answer in one place: a status with the JSON body {@code
 * {"error":"<code>","message":"<text>"}} of PROTOCOL.md section 4.
 */
public final class HttpErrors {

  private HttpErrors() {}

  /** A JSON entity holding the given wire record. */
  static HttpEntity.Strict json(Object body) {
    return HttpEntities.create(ContentTypes.APPLICATION_JSON, WireJson.write(body));
  }

  /** An error response with its stable code derived from the status. */
  public static HttpResponse error(StatusCode status, String message) {
    return HttpResponse.create()
        .withStatus(status)
        .withEntity(json(new AdminJson.ErrorBody(code(status), message)));
  }

  /**
   * An error answer as the bytes of a complete HTTP/1.1 response that closes the connection, for
   * a listener that answers before (or instead of) Pekko HTTP: the status with its reason phrase,
   * the JSON error body and {@code Connection: close}.
   */
  public static ByteString responseBytes(int status, String message) {
    StatusCode code = StatusCodes.get(status);
    byte[] body =
        WireJson.write(new AdminJson.ErrorBody(code(code), message))
            .getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + status
            + ' '
            + code.reason()
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + body.length
            + "\r\nConnection: close\r\n\r\n";
    return ByteString.fromString(head, StandardCharsets.US_ASCII)
        .concat(ByteString.fromArray(body));
  }

  /** The stable machine-readable code of a status. */
  static String code(StatusCode status) {
    int value = status.intValue();
    return switch (value) {
      case 400 -> "bad_request";
      case 401 -> "unauthorized";
      case 403 -> "forbidden";
      case 404 -> "not_found";
      case 405 -> "method_not_allowed";
      case 408 -> "request_timeout";
      case 413 -> "payload_too_large";
      case 415 -> "unsupported_media_type";
      case 414 -> "uri_too_long";
      case 429 -> "too_many_connections";
      case 431 -> "headers_too_large";
      case 501 -> "not_implemented";
      case 503 -> "unavailable";
      case 505 -> "http_version_not_supported";
      default -> value >= 500 ? "internal_error" : "error";
    };
  }

  /** The 400 answer for a room name from a path, or empty when the name is valid. */
  static Optional<HttpResponse> invalidRoom(String name) {
    return RoomId.problem(name).map(problem -> error(StatusCodes.BAD_REQUEST, problem));
  }

  /**
   * Pekko HTTP's default rejection answers (404, 405, 400 for malformed headers, ...) with their
   * plain-text bodies turned into the JSON error body.
   */
  public static RejectionHandler rejectionHandler() {
    return RejectionHandler.defaultHandler()
        .mapRejectionResponse(
            response -> {
              String text =
                  response.entity() instanceof HttpEntity.Strict strict
                      ? strict.getData().utf8String()
                      : response.status().reason();
              return response.withEntity(
                  json(new AdminJson.ErrorBody(code(response.status()), text)));
            });
  }

  /** A 503 for an actor that did not answer in time. */
  static HttpResponse unavailable() {
    return error(StatusCodes.SERVICE_UNAVAILABLE, "the server is busy, try again");
  }
}
