package io.github.lobby.http.internal.routes;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.http.HttpSettings;
import org.junit.jupiter.api.Test;

/** The Origin check that the room route and the lean path share. */
class RoomRoutesTest {

  static HttpSettings origins(String list) {
    return HttpSettings.fromConfig(
        ConfigFactory.parseString("lobby.http.allowed-origins = " + list)
            .withFallback(ConfigFactory.load()));
  }

  @Test
  void withoutAnAllowListEveryOriginIsAllowed() {
    assertTrue(RoomRoutes.originAllowed(origins("[]"), "https://anywhere.example"));
  }

  @Test
  void withAnAllowListOnlyItsOriginsAreAllowedIgnoringCase() {
    HttpSettings http = origins("[\"https://a.example\", \"http://b.example:8080\"]");
    assertTrue(RoomRoutes.originAllowed(http, "https://a.example"));
    assertTrue(RoomRoutes.originAllowed(http, "HTTPS://A.EXAMPLE"));
    assertTrue(RoomRoutes.originAllowed(http, "http://b.example:8080"));
    assertFalse(RoomRoutes.originAllowed(http, "http://b.example"));
    assertFalse(RoomRoutes.originAllowed(http, "https://a.example.evil"));
    assertFalse(RoomRoutes.originAllowed(http, "null"));
  }
}
