package io.github.lobby.client;

import static io.github.lobby.client.Recorder.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;

/** What the scenario tests share: clients and proxies closed after each test, bounded waits. */
abstract class Scenarios {

  static final Duration WAIT = Duration.ofSeconds(15);

  private final List<LobbyClient> clients = new ArrayList<>();
  private final List<TcpProxy> proxies = new ArrayList<>();
  private final Map<Recorder, Integer> welcomesAtCut = new IdentityHashMap<>();

  @AfterEach
  void closeAll() {
    clients.forEach(LobbyClient::close);
    proxies.forEach(TcpProxy::close);
  }

  static URI direct(int port) {
    return URI.create("ws://127.0.0.1:" + port);
  }

  TcpProxy proxy(int port) throws Exception {
    TcpProxy proxy = new TcpProxy(port);
    proxies.add(proxy);
    return proxy;
  }

  static LobbyClient.Builder builder(URI base, String room, Recorder recorder) {
    return LobbyClient.builder(base, room).listener(recorder);
  }

  /** Builds the client, to be closed after the test. */
  LobbyClient build(LobbyClient.Builder builder) {
    LobbyClient client = builder.build();
    clients.add(client);
    return client;
  }

  /** Builds the client and waits for its first welcome. */
  LobbyClient connect(LobbyClient.Builder builder) {
    LobbyClient client = build(builder);
    join(client.connect());
    return client;
  }

  static <T> T join(CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The LobbyClientException a stage failed with; fails if it completed. */
  static LobbyClientException failure(CompletionStage<?> stage) {
    try {
      stage.toCompletableFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return assertInstanceOf(LobbyClientException.class, e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the stage completed");
  }

  /**
   * Cuts the proxy's connection once the client was welcomed on a connection made since the last
   * cut, so that each cut is a lost session and never a lost handshake: a cut between the upgrade
   * and the welcome would lose the session's new resume key (see {@code
   * ResumeTest#aWelcomeLostOnItsWayStillLetsTheSessionResume}).
   */
  void cutWhenOpen(LobbyClient client, TcpProxy proxy, Recorder recorder) {
    int before = welcomesAtCut.getOrDefault(recorder, 0);
    await(
        WAIT,
        "the client welcomed again and open",
        () -> recorder.welcomes.size() > before && client.state() == LobbyClient.State.OPEN);
    welcomesAtCut.put(recorder, recorder.welcomes.size());
    assertEquals(1, proxy.cut());
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CompletionException(e);
    }
  }

  static List<Long> offsets(long from, long to) {
    return LongStream.rangeClosed(from, to).boxed().toList();
  }

  static List<Long> offsetsOf(Recorder recorder) {
    return recorder.messages.stream().map(m -> m.offset().orElseThrow()).toList();
  }
}
