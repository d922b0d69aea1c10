package io.github.lobby.http.internal.routes;

import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.ConnectRequest;
import io.github.lobby.core.internal.AuthCalls;
import io.github.lobby.http.codec.AdminJson;
import io.github.lobby.http.codec.WireJson;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The authentication of an upgrade, shared by both connection paths: the request an {@link
 * Authenticator} sees, the call (a failure or a null answer is a 500, never a crash), and the
 * answer to a refusal, as a Pekko HTTP response for the routes or as bytes for the lean path,
 * which answers before any HTTP pipeline exists. Both carry the JSON error body and, for 401,
 * {@code WWW-Authenticate: Bearer}. Nothing here logs a credential.
 */
public final class UpgradeAuth {

  private static final Logger log = LoggerFactory.getLogger(UpgradeAuth.class);

  /** What a failed or null authentication answers. */
  public static final AuthResult.Refusal FAILED =
      new AuthResult.Refusal(AuthResult.Status.UNAUTHORIZED, "authentication failed");

  private UpgradeAuth() {}

  /** The request of an upgrade that Pekko HTTP parsed. */
  public static ConnectRequest connectRequest(
      HttpRequest request, RoomId room, Iterable<String> protocols, Optional<InetAddress> remote) {
    Map<String, List<String>> headers = new LinkedHashMap<>();
    for (HttpHeader header : request.getHeaders()) {
      headers
          .computeIfAbsent(header.name().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
          .add(header.value());
    }
    List<String> offered = new ArrayList<>();
    protocols.forEach(offered::add);
    Map<String, List<String>> query;
    try {
      query = request.getUri().query().toMultiMap();
    } catch (RuntimeException e) {
      query = Map.of();
    }
    return new ConnectRequest(room, query, headers, offered, remote);
  }

  /**
   * Runs the authenticator. The stage completes with its result, or with {@link #FAILED} when
   * it threw, failed, answered null or did not answer within {@code timeout} (logged with the
   * exception's class only: its message may quote the credential).
   */
  public static CompletionStage<AuthResult> authenticate(
      Authenticator authenticator, ConnectRequest request, Duration timeout) {
    return AuthCalls.bounded(() -> authenticator.authenticate(request), timeout)
        .handle(
        (result, failure) -> {
          if (failure != null || result == null) {
            log.warn(
                "The authenticator failed on an upgrade to room {}: {}",
                request.room().value(),
                failure == null ? "it answered null" : failure.getClass().getName());
            return FAILED;
          }
          return result;
        });
  }

  /** The status a refusal is answered with: 500 for {@link #FAILED}. */
  public static int status(AuthResult.Refusal refusal) {
    return refusal == FAILED ? 500 : refusal.status().httpStatus();
  }

  private static String code(AuthResult.Refusal refusal) {
    return refusal == FAILED ? "internal_error" : refusal.status().code();
  }

  /** The refusal as a Pekko HTTP response, for the routes. */
  public static HttpResponse response(AuthResult.Refusal refusal) {
    HttpResponse response =
        HttpResponse.create()
            .withStatus(StatusCodes.get(status(refusal)))
            .withEntity(HttpErrors.json(new AdminJson.ErrorBody(code(refusal), refusal.message())));
    return status(refusal) == 401
        ? response.addHeader(WWWAuthenticate.create(HttpChallenge.create("Bearer", "lobby")))
        : response;
  }

  /**
   * The refusal as the bytes of a complete HTTP/1.1 response that closes the connection, for the
   * lean path.
   */
  public static ByteString responseBytes(AuthResult.Refusal refusal) {
    byte[] body =
        WireJson.write(new AdminJson.ErrorBody(code(refusal), refusal.message()))
            .getBytes(StandardCharsets.UTF_8);
    int status = status(refusal);
    String reason =
        switch (status) {
          case 401 -> "Unauthorized";
          case 403 -> "Forbidden";
          default -> "Internal Server Error";
        };
    StringBuilder head =
        new StringBuilder(200)
            .append("HTTP/1.1 ")
            .append(status)
            .append(' ')
            .append(reason)
            .append("\r\n");
    if (status == 401) {
      head.append("WWW-Authenticate: Bearer realm=\"lobby\"\r\n");
    }
    head.append("Content-Type: application/json\r\nContent-Length: ")
        .append(body.length)
        .append("\r\nConnection: close\r\n\r\n");
    return ByteString.fromString(head.toString(), StandardCharsets.US_ASCII)
        .concat(ByteString.fromArray(body));
  }
}
