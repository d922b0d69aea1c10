package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.testkit.LobbyServerExtension;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The client on a server that keeps a short history (5 messages) and does not resume sessions:
 * a reconnect is a new session that gets what it missed while the history reaches back, a reset
 * when it does not, and sends whose answer was lost fail as {@code outcome_unknown}.
 */
class RecoveryTest extends Scenarios {

  @RegisterExtension
  static final LobbyServerExtension server =
      LobbyServerExtension.create().withConfig("lobby.history.size = 5\n");

  /** Neither history nor grace: the defaults. */
  @RegisterExtension
  static final LobbyServerExtension plain = LobbyServerExtension.create();

  private static final AtomicInteger rooms = new AtomicInteger();

  static String room() {
    return "recovery-" + rooms.incrementAndGet();
  }

  @Test
  void withoutGraceAReconnectIsANewSessionThatRecoversWhatItMissed() throws Exception {
    String room = room();
    Recorder bobEvents = new Recorder();
    LobbyClient bob = connect(builder(direct(server.port()), room, bobEvents));
    TcpProxy proxy = proxy(server.port());
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    String first = client.id().orElseThrow();
    assertTrue(alice.welcomes.get(0).resumeKey().isEmpty());
    join(bob.send(0));
    join(bob.send(1));
    await(WAIT, "alice gets 2", () -> alice.messages.size() == 2);

    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    await(WAIT, "bob sees alice leave", () -> bobEvents.left.size() == 1);
    for (int i = 2; i < 5; i++) {
      join(bob.send(i));
    }
    proxy.refuse(false);
    await(WAIT, "alice gets 5", () -> alice.messages.size() == 5);
    sleep(200);

    assertEquals(List.of(0, 1, 2, 3, 4), alice.values());
    assertEquals(offsets(1, 5), offsetsOf(alice));
    Welcome again = alice.welcomes.get(1);
    assertNotEquals(first, again.id());
    assertEquals(again.id(), client.id().orElseThrow());
    assertEquals(true, again.recovered().orElseThrow());
    assertTrue(again.resumed().isEmpty(), "the client asked no resume without a key");
    assertEquals(List.of(), alice.resets);
    assertEquals(first, bobEvents.left.get(0).id());
    await(WAIT, "bob sees alice again", () -> bobEvents.joined.size() == 2);
    assertEquals(again.id(), bobEvents.joined.get(1).id());
  }

  @Test
  void aHistoryTooShortForTheGapIsAResetThenLiveMessagesFollow() throws Exception {
    String room = room();
    LobbyClient bob = connect(builder(direct(server.port()), room, new Recorder()));
    TcpProxy proxy = proxy(server.port());
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    join(bob.send(0));
    await(WAIT, "alice gets 1", () -> alice.messages.size() == 1);

    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    for (int i = 1; i <= 8; i++) {
      join(bob.send(i)); // offsets 2..9; the room keeps 5..9 only
    }
    proxy.refuse(false);
    await(WAIT, "alice's reset", () -> alice.resets.size() == 1);
    join(bob.send(100));
    join(bob.send(101));
    await(WAIT, "alice gets the live ones", () -> alice.messages.size() == 3);
    sleep(200);

    assertEquals(List.of(LobbyClient.RESET_NOT_RECOVERED), alice.resets);
    assertEquals(false, alice.welcomes.get(1).recovered().orElseThrow());
    assertEquals(List.of(0, 100, 101), alice.values());
    assertEquals(List.of(1L, 10L, 11L), offsetsOf(alice));
    assertEquals(11, client.offset().orElseThrow());
    List<String> order = alice.order;
    int reset = order.indexOf("reset " + LobbyClient.RESET_NOT_RECOVERED);
    assertEquals("welcome", order.get(reset - 1), order.toString());
    assertTrue(reset < order.indexOf("message 100"), order.toString());
  }

  @Test
  void aSendWhoseAnswerWasLostFailsAsOutcomeUnknownAfterANewSession() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(server.port()), room, observer));
    TcpProxy proxy = proxy(server.port());
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));

    proxy.hold(true); // the server's answers do not reach the client
    CompletableFuture<Ack> lost = client.send("taken").toCompletableFuture();
    await(WAIT, "the server took it", () -> observer.messages.size() == 1);
    cutWhenOpen(client, proxy, alice);
    proxy.hold(false);
    assertEquals(LobbyClientException.OUTCOME_UNKNOWN, failure(lost).code());
    assertEquals(2, alice.welcomes.size());
    assertFalse(alice.welcomes.get(1).resumed().orElse(false));

    join(client.send("next"));
    await(WAIT, "the observer gets next", () -> observer.messages.size() == 2);
    sleep(200);
    assertEquals(
        List.of("taken", "next"),
        observer.messages.stream().map(m -> m.msg().asText()).toList());
  }

  @Test
  void closeFailsWhatWasWrittenAsOutcomeUnknownAndWhatWaitsAsClosed() throws Exception {
    String room = room();
    Recorder observer = new Recorder();
    connect(builder(direct(server.port()), room, observer));
    TcpProxy proxy = proxy(server.port());
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice).maxInFlight(1));

    proxy.hold(true);
    CompletableFuture<Ack> written = client.send("written").toCompletableFuture();
    CompletableFuture<Ack> waiting = client.send("waiting").toCompletableFuture();
    await(WAIT, "the server took the first", () -> observer.messages.size() == 1);
    CompletionStage<Void> closing = client.close();
    assertEquals(LobbyClientException.OUTCOME_UNKNOWN, failure(written).code());
    assertEquals(LobbyClientException.CLOSED, failure(waiting).code());
    proxy.hold(false); // the server's answers, its Close included, are ignored now
    join(closing);
    assertEquals(LobbyClient.State.CLOSED, client.state());
    sleep(200);
    assertEquals(1, observer.messages.size());
  }

  @Test
  void connectAfterCloseStartsAgainAndRecoversWhatWasSaidMeanwhile() throws Exception {
    String room = room();
    LobbyClient bob = connect(builder(direct(server.port()), room, new Recorder()));
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(direct(server.port()), room, alice));
    String first = client.id().orElseThrow();
    join(bob.send(0));
    await(WAIT, "alice gets 0", () -> alice.messages.size() == 1);
    join(client.close());
    join(bob.send(1));
    join(bob.send(2));

    Welcome again = join(client.connect());
    assertNotEquals(first, again.id());
    assertEquals(true, again.recovered().orElseThrow());
    assertTrue(again.resumed().isEmpty(), "a closed session is not resumed");
    await(WAIT, "alice gets 3", () -> alice.messages.size() == 3);
    assertEquals(List.of(0, 1, 2), alice.values());
    assertEquals(List.of(), alice.resets);
    assertEquals(
        List.of(
            LobbyClient.State.CONNECTING,
            LobbyClient.State.OPEN,
            LobbyClient.State.CLOSED,
            LobbyClient.State.CONNECTING,
            LobbyClient.State.OPEN),
        alice.states);
  }

  @Test
  void aReconnectToAServerWithoutHistoryIsAResetNoHistory() throws Exception {
    String room = room();
    LobbyClient bob = connect(builder(direct(plain.port()), room, new Recorder()));
    TcpProxy proxy = proxy(plain.port());
    Recorder alice = new Recorder();
    LobbyClient client = connect(builder(proxy.base(), room, alice));
    assertTrue(client.epoch().isEmpty());
    assertTrue(client.offset().isEmpty());
    join(bob.send("before"));
    await(WAIT, "alice gets before", () -> alice.messages.size() == 1);

    proxy.refuse(true);
    cutWhenOpen(client, proxy, alice);
    join(bob.send("missed"));
    proxy.refuse(false);
    await(WAIT, "alice's reset", () -> alice.resets.size() == 1);
    join(bob.send("after"));
    await(WAIT, "alice gets after", () -> alice.messages.size() == 2);
    assertEquals(List.of(LobbyClient.RESET_NO_HISTORY), alice.resets);
    assertEquals(
        List.of("before", "after"), alice.messages.stream().map(m -> m.msg().asText()).toList());
    assertTrue(alice.messages.get(1).offset().isEmpty());
  }
}
