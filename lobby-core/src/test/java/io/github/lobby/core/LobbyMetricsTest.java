package io.github.lobby.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class LobbyMetricsTest {

  @Test
  void closeCodesAClientMayChooseShareOneTagSoAClientCannotMakeSeries() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LobbyMetrics metrics = LobbyMetrics.of(registry);

    int chosen = 0;
    for (int code = 3000; code <= 4999; code += 7) {
      metrics.connectionClosed(code, "client");
      chosen++;
    }
    metrics.connectionClosed(1000, "client");
    metrics.connectionClosed(1008, "slow_consumer");

    assertEquals(3, registry.find("lobby.connections.closed").counters().size());
    assertEquals(
        chosen,
        registry.get("lobby.connections.closed").tag("code", "3000-4999").counter().count());
    assertEquals(
        1, registry.get("lobby.connections.closed").tag("code", "1000").counter().count());
  }
}
