package io.github.lobby.http.internal.lean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.LobbyMetrics;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Mode;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.auth.AuthResult;
import io.github.lobby.core.auth.Authenticator;
import io.github.lobby.core.auth.Principal;
import io.github.lobby.http.CompressionSettings;
import io.github.lobby.http.HttpSettings;
import io.github.lobby.http.internal.deflate.Compression;
import io.github.lobby.http.internal.ws.AcceptedUpgrade;
import io.github.lobby.http.internal.ws.Admission;
import io.github.lobby.http.internal.ws.ConnectionContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The way into a lean connection: which heads it takes as a WebSocket, which it hands to Pekko
 * HTTP, and the place an upgrade holds while it is authenticated.
 */
class UpgradeGateTest {

  static final ActorTestKit testKit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  static final InetSocketAddress REMOTE = new InetSocketAddress("127.0.0.1", 40000);

  static final String UPGRADE =
      "GET /lounge HTTP/1.1\r\n"
          + "Host: 127.0.0.1\r\n"
          + "Upgrade: websocket\r\n"
          + "Connection: Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
          + "Sec-WebSocket-Version: 13\r\n"
          + "Sec-WebSocket-Protocol: lobby.v1.json\r\n";

  final TestProbe<Object> connection = testKit.createTestProbe();
  final Admission admission = new Admission(10, 1);

  UpgradeGate gate(String http, Authenticator authenticator) {
    ConnectionContext context =
        new ConnectionContext(
            testKit.system().ignoreRef(),
            testKit.scheduler(),
            LobbySettings.fromConfig(ConfigFactory.load()),
            HttpSettings.fromConfig(
                ConfigFactory.parseString(http).withFallback(ConfigFactory.load())),
            admission,
            LobbyMetrics.NONE,
            Optional.ofNullable(authenticator),
            new Compression(CompressionSettings.DISABLED));
    LeanShared shared =
        new LeanShared(
            context,
            remote -> null,
            null,
            8192,
            8192,
            Duration.ofSeconds(60),
            new io.github.lobby.http.internal.guard.HeadGuard(
                Duration.ofSeconds(10),
                16 * 1024,
                new io.github.lobby.http.internal.guard.HeadBudget(1 << 20)));
    return new UpgradeGate(shared, REMOTE, Adapter.toClassic(connection.ref()));
  }

  static ByteString bytes(String text) {
    return ByteString.fromString(text, StandardCharsets.ISO_8859_1);
  }

  static Authenticator answering(AuthResult result) {
    return request -> CompletableFuture.completedFuture(result);
  }

  @Test
  void aValidUpgradeWithoutAnAuthenticatorIsAcceptedOnceItsHeadIsComplete() {
    UpgradeGate gate = gate("", null);
    assertSame(UpgradeGate.Next.READ_MORE, gate.read(bytes(UPGRADE)));
    UpgradeGate.Accept accept =
        assertInstanceOf(UpgradeGate.Accept.class, gate.read(bytes("\r\nframes")));
    AcceptedUpgrade upgrade = accept.upgrade();
    assertEquals(new RoomId("lounge"), upgrade.room());
    assertEquals(Mode.JSON, upgrade.mode());
    assertEquals(Optional.of(REMOTE.getAddress()), upgrade.address());
    assertEquals(Optional.empty(), upgrade.auth());
    assertEquals(bytes("frames"), gate.takeRest(accept.head()), "the bytes after the head");
    assertFalse(gate.open());
    assertFalse(gate.handOverPlace(), "no place taken: the WebSocket takes its own");
    assertEquals(0, admission.total());
  }

  @Test
  void anythingElseGoesToPekkoHttpWithTheBytesRead() {
    UpgradeGate gate = gate("", null);
    String request = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    assertSame(UpgradeGate.Next.HTTP, gate.read(bytes(request)));
    assertEquals(bytes(request), gate.takeHead());
  }

  @Test
  void anUpgradeTheRoutesWouldRefuseGoesToPekkoHttpForTheirAnswer() {
    UpgradeGate origin = gate("lobby.http.allowed-origins = [\"https://a.example\"]", null);
    assertSame(
        UpgradeGate.Next.HTTP, origin.read(bytes(UPGRADE + "Origin: https://b.example\r\n\r\n")));
    UpgradeGate allowed = gate("lobby.http.allowed-origins = [\"https://a.example\"]", null);
    assertInstanceOf(
        UpgradeGate.Accept.class,
        allowed.read(bytes(UPGRADE + "Origin: https://A.example\r\n\r\n")));

    admission.admit(Optional.of(REMOTE.getAddress())); // this address is at its limit of 1
    assertSame(UpgradeGate.Next.HTTP, gate("", null).read(bytes(UPGRADE + "\r\n")));
  }

  @Test
  void anAuthenticatedUpgradeHoldsAPlaceUntilItsWebSocketTakesIt() {
    AuthResult.Grant grant = AuthResult.Grant.of(Principal.of("alice"));
    UpgradeGate gate = gate("", answering(grant));
    assertSame(UpgradeGate.Next.AUTHENTICATING, gate.read(bytes(UPGRADE + "\r\n")));
    assertEquals(1, admission.total(), "the place is taken before the authenticator is asked");
    LeanSignal.AuthDecided decided = connection.expectMessageClass(LeanSignal.AuthDecided.class);
    assertSame(grant, decided.result());
    assertTrue(gate.open());

    UpgradeGate.Accept accept = assertInstanceOf(UpgradeGate.Accept.class, gate.decided(decided));
    assertEquals(grant, accept.upgrade().auth().orElseThrow().grant());
    assertTrue(gate.handOverPlace());
    assertFalse(gate.handOverPlace(), "handed over once");
    gate.release();
    assertEquals(1, admission.total(), "the place went with the WebSocket");
  }

  @Test
  void aRefusalIsAnsweredHereAndGivesThePlaceBack() {
    UpgradeGate gate = gate("", answering(AuthResult.Refusal.unauthorized("no token")));
    assertSame(UpgradeGate.Next.AUTHENTICATING, gate.read(bytes(UPGRADE + "\r\n")));
    LeanSignal.AuthDecided decided = connection.expectMessageClass(LeanSignal.AuthDecided.class);
    UpgradeGate.Refuse refuse = assertInstanceOf(UpgradeGate.Refuse.class, gate.decided(decided));
    String response = refuse.response().decodeString(StandardCharsets.ISO_8859_1);
    assertTrue(response.startsWith("HTTP/1.1 401 Unauthorized\r\n"), response);
    assertTrue(response.contains("\"no token\""), response);
    assertEquals(0, admission.total());
    assertFalse(gate.open());
  }

  @Test
  void aConnectionThatEndsWhileAuthenticatedGivesThePlaceBack() {
    UpgradeGate gate = gate("", request -> new CompletableFuture<>()); // never decides
    assertSame(UpgradeGate.Next.AUTHENTICATING, gate.read(bytes(UPGRADE + "\r\n")));
    assertEquals(1, admission.total());
    gate.release();
    gate.release();
    assertEquals(0, admission.total(), "given back once");
  }
}
