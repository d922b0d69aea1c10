package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

class EndpointTest {

  @Test
  void httpBecomesWsAndTrailingSlashesGo() {
    Endpoint endpoint = new Endpoint(URI.create("https://example.org/prefix//"), "team-1");
    assertEquals(
        URI.create("wss://example.org/prefix/team-1"), endpoint.target(null, -1, null, null, null));
  }

  @Test
  void theQueryNamesTokenPositionAndSessionInThatOrder() {
    Endpoint endpoint = new Endpoint(URI.create("ws://127.0.0.1:8081"), "r");
    assertEquals(
        URI.create("ws://127.0.0.1:8081/r?token=a%2Bb&since=4&epoch=e%3D1&resume=s1&key=k"),
        endpoint.target("a+b", 4, "e=1", "s1", "k"));
    assertEquals(
        URI.create("ws://127.0.0.1:8081/r?resume=s1&key=k"),
        endpoint.target(null, -1, null, "s1", "k"));
  }

  @Test
  void badRoomsAndBaseUrisAreRefused() {
    URI base = URI.create("ws://127.0.0.1:8081");
    assertThrows(IllegalArgumentException.class, () -> Endpoint.check(base, ""));
    assertThrows(IllegalArgumentException.class, () -> Endpoint.check(base, ".."));
    assertThrows(IllegalArgumentException.class, () -> Endpoint.check(base, "a/b"));
    assertThrows(IllegalArgumentException.class, () -> Endpoint.check(base, "x".repeat(129)));
    assertThrows(
        IllegalArgumentException.class, () -> Endpoint.check(URI.create("ftp://h"), "r"));
    assertThrows(
        IllegalArgumentException.class, () -> Endpoint.check(URI.create("ws://h/?a=b"), "r"));
    assertThrows(
        IllegalArgumentException.class, () -> Endpoint.check(URI.create("ws://h/#f"), "r"));
    Endpoint.check(base, "A-z_0.~:");
  }
}
