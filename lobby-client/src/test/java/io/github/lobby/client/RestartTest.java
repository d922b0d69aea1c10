package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.testkit.LobbyServerExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restarted server: the client reconnects with backoff while it is down (a handful of attempts
 * per second at most, counted at the proxy), then finds a new epoch, tells a reset and goes on
 * with the live messages.
 */
class RestartTest extends Scenarios {

  private static final String CONFIG =
      "lobby.history.size = 100\nlobby.resumption.grace = 30s\n"
          + "lobby.http { shutdown-timeout = 2s, close-timeout = 1s }\n";

  @Test
  void aRestartedServerIsANewEpochAReconnectWithoutAStormAndAReset() throws Exception {
    LobbyServerExtension first = LobbyServerExtension.create().withConfig(CONFIG);
    first.start();
    LobbyServerExtension second = null;
    try {
      int port = first.port();
      TcpProxy proxy = proxy(port);
      Recorder alice = new Recorder();
      LobbyClient client = connect(builder(proxy.base(), "restart", alice));
      LobbyClient bob = connect(builder(direct(port), "restart", new Recorder()));
      for (int i = 0; i < 3; i++) {
        join(bob.send(i));
      }
      await(WAIT, "alice gets 3", () -> alice.messages.size() == 3);
      String firstId = client.id().orElseThrow();
      String firstEpoch = client.epoch().orElseThrow();

      long down = System.nanoTime();
      first.stop(); // sessions closed with 1001; the proxy's connects now fail
      await(WAIT, "alice reconnecting", () -> client.state() == LobbyClient.State.RECONNECTING);
      sleep(3000);
      second = LobbyServerExtension.create().withConfig(CONFIG + "lobby.http.port = " + port);
      second.start();
      long up = System.nanoTime();
      await(WAIT, "alice welcomed again", () -> alice.welcomes.size() == 2);
      sleep(100);

      // The client's attempts while the server was down: each failed one is told once.
      List<Long> failed = new ArrayList<>();
      for (int i = 0; i < alice.disconnects.size(); i++) {
        long at = alice.disconnectTimes.get(i);
        if (alice.disconnects.get(i) == -1 && at > down && at < up) {
          failed.add(at);
        }
      }
      assertTrue(failed.size() >= 3, "it kept trying: " + failed.size());
      assertTrue(failed.size() <= 10, "attempts while down: " + failed.size());
      int busiest = Recorder.busiestSecond(failed);
      assertTrue(busiest <= 5, "attempts within one second: " + busiest + " of " + failed.size());
      // The same at the proxy, where the JDK's HttpClient may make one attempt two connections
      // (it tries a GET again, once, when its connection is reset before the answer).
      List<Long> connections =
          proxy.attemptTimes().stream().filter(t -> t > down && t < up).toList();
      int busiestAtProxy = Recorder.busiestSecond(connections);
      assertTrue(
          busiestAtProxy <= 2 * 5,
          "connections within one second: " + busiestAtProxy + " of " + connections.size());
      assertEquals(1001, alice.disconnects.get(0));
      assertTrue(
          alice.disconnects.stream().skip(1).allMatch(code -> code == -1),
          alice.disconnects.toString());

      Welcome again = alice.welcomes.get(1);
      assertNotEquals(firstEpoch, again.epoch().orElseThrow());
      assertEquals(false, again.recovered().orElseThrow());
      assertEquals(false, again.resumed().orElseThrow());
      assertNotEquals(firstId, again.id());
      assertEquals(List.of(LobbyClient.RESET_NEW_EPOCH), alice.resets);
      assertEquals(again.epoch(), client.epoch());
      assertEquals(0, client.offset().orElseThrow());

      LobbyClient carol = connect(builder(direct(port), "restart", new Recorder()));
      join(carol.send(7));
      await(WAIT, "alice gets the live one", () -> alice.messages.size() == 4);
      assertEquals(List.of(0, 1, 2, 7), alice.values());
      assertEquals(1, alice.messages.get(3).offset().orElseThrow());
    } finally {
      first.stop();
      if (second != null) {
        second.stop();
      }
    }
  }
}
