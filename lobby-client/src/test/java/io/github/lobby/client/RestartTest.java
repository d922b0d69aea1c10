package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.testkit.LobbyServerExtension;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A restarted server: the client reconnects with backoff while it is down (a handful of attempts
 * per second at most, counted at the proxy), then finds a new epoch, tells a reset and goes on
 * with the live messages.
 */
class RestartTest extends Scenarios {

  private static final String CONFIG = "lobby.history.size = 100\nlobby.recovery.grace = 30s\n";

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

      List<Long> attempts =
          proxy.attemptTimes().stream().filter(t -> t > down && t < up).toList();
      int busiest = 0;
      for (long start : attempts) {
        int inOneSecond =
            (int) attempts.stream().filter(t -> t >= start && t < start + 1_000_000_000L).count();
        busiest = Math.max(busiest, inOneSecond);
      }
      assertTrue(
          busiest <= 6, "attempts within one second: " + busiest + " of " + attempts.size());
      assertTrue(attempts.size() >= 3, "it kept trying: " + attempts.size());
      assertTrue(attempts.size() <= 12, "attempts while down: " + attempts.size());
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
