package io.github.lobby.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.github.lobby.http.auth.JwtAuthenticator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A server whose JWTs are checked against a JWK Set URL, with neither {@code issuer} nor {@code
 * audience}, warns once as it starts: it accepts every token the identity provider signs, for
 * whichever application.
 */
class JwtStartWarningTest {

  private static final String UNBOUND = "without issuer and without audience";

  /** The WARN lines of {@link JwtAuthenticator} while a server starts, runs and stops. */
  private static List<String> warningsOfAServer(String config) {
    Logger logger = (Logger) LoggerFactory.getLogger(JwtAuthenticator.class);
    ListAppender<ILoggingEvent> captured = new ListAppender<>();
    captured.start();
    logger.addAppender(captured);
    try (TestServer server = new TestServer(config)) {
      // The admin API answers with the configured token: the server has started and is serving.
      assertEquals(200, server.adminGet("/rooms").statusCode());
    } finally {
      logger.detachAppender(captured);
    }
    return captured.list.stream()
        .filter(e -> e.getLevel() == Level.WARN)
        .map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void anUnboundJwksUrlIsWarnedAboutOncePerStart() {
    // Nothing is fetched at start, so the URL need not answer.
    List<String> warnings =
        warningsOfAServer(
            "lobby.auth { mode = jwt, admin-jwt = on,"
                + " jwt.jwks-url = \"https://issuer.test/.well-known/jwks.json\" }");
    assertEquals(1, warnings.size(), warnings.toString());
    assertTrue(warnings.get(0).contains(UNBOUND), warnings.get(0));
    assertTrue(warnings.get(0).contains("lobby.auth.jwt.audience"), warnings.get(0));
  }

  @Test
  void anAudienceSilencesIt() {
    List<String> warnings =
        warningsOfAServer(
            "lobby.auth { mode = jwt, admin-jwt = on, jwt { audience = lobby,"
                + " jwks-url = \"https://issuer.test/.well-known/jwks.json\" } }");
    assertEquals(List.of(), warnings);
  }
}
