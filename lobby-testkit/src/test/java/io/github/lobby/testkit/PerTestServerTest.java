package io.github.lobby.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.extension.RegisterExtension;

/** An instance field: a fresh server for each test, stopped after it. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PerTestServerTest {

  private static TestClient leftOpen;

  @RegisterExtension
  final LobbyServerExtension server =
      LobbyServerExtension.create().withConfig("lobby.http.admin-token = own-admin-token-1234");

  @Test
  @Order(1)
  void aSessionLeftOpenByOneTest() {
    assertEquals("own-admin-token-1234", server.adminToken());
    leftOpen = server.connect("left-open");
    leftOpen.welcomeId();
    server.awaitSessions(1, Duration.ofSeconds(5));
  }

  @Test
  @Order(2)
  void isClosedWith1001BeforeTheNextTestGetsAnEmptyServer() {
    assertEquals(1001, leftOpen.awaitClose(Duration.ofSeconds(10)));
    assertEquals(0, server.stats().sessions());
  }

  @AfterAll
  static void noServerOutsideATest() {
    LobbyServerExtension idle = LobbyServerExtension.create();
    assertThrows(IllegalStateException.class, idle::port);
  }
}
