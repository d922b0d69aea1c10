package io.github.lobby.bench;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.http.codec.ClassicCodec;
import io.github.lobby.http.codec.JsonModeCodec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rendering one broadcast into its shared frame (text and UTF-8 bytes), per mode, and decoding a
 * client's JSON-mode frame: the work done once per broadcast, whatever the room size.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RenderBenchmark {

  private final ClientEvent.Message text =
      new ClientEvent.Message(
          SessionId.random(), new RoomId("bench"), new Payload.Text("0123456789012345678901234567890123456789012345678901234567890123"));
  private final ClientEvent.Message json =
      new ClientEvent.Message(
          SessionId.random(), new RoomId("bench"), new Payload.Json("{\"seq\":12345,\"t\":1700000000000,\"pad\":\"0123456789012345678901234567\"}"));

  @Benchmark
  public Frame classicText() {
    return Frame.render(text, ClassicCodec.INSTANCE);
  }

  @Benchmark
  public Frame jsonModeText() {
    return Frame.render(text, JsonModeCodec.INSTANCE);
  }

  @Benchmark
  public Frame jsonModeJsonValue() {
    return Frame.render(json, JsonModeCodec.INSTANCE);
  }

  @Benchmark
  public Object decodeJsonModeMessage() {
    return JsonModeCodec.INSTANCE.decode("{\"type\":\"message\",\"msg\":\"0123456789012345678901234567890123456789012345678901234567890123\"}");
  }
}
