package io.github.lobby.bench;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.LobbySettings;
import io.github.lobby.core.Payload;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.internal.RoomHistory;
import io.github.lobby.http.codec.JsonModeCodec;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The heap a room's history takes per kept message ({@code lobby.history}), as the room keeps it:
 * fills {@code rooms} histories of {@code size} messages each, from a few senders, and reports the
 * live heap after a full collection, per kept message, for several message lengths (client text;
 * a JSON payload is kept the same way, as its compact text), then again with each message's
 * JSON-mode frame, which a room renders once, for the first client that recovers it, and keeps
 * with the entry for the next ones.
 *
 * <p>It measures {@link RoomHistory} itself, from lobby-core's internal package, which lobby-core's
 * module exports to lobby-http and lobby-cluster only: lobby-bench is not a module (it has no
 * {@code module-info.java}) and runs on the class path, where that export does not apply.
 *
 * <p>Run: {@code java -cp lobby-bench/target/benchmarks.jar io.github.lobby.bench.HistoryFootprint}
 * (add {@code -XX:+UseSerialGC} for steadier figures).
 */
public final class HistoryFootprint {

  private HistoryFootprint() {}

  public static void main(String[] args) {
    int rooms = 1_000;
    int size = 100;
    System.out.printf("%d rooms x %d kept messages each%n", rooms, size);
    System.out.println(
        "message chars  bytes/kept message  overhead over the text  after a recovery");
    for (int chars : new int[] {16, 64, 256, 1024}) {
      long kept = measure(rooms, size, chars, false);
      long replayed = measure(rooms, size, chars, true);
      // The text itself takes chars bytes (a Latin-1 String).
      System.out.printf("%13d  %18d  %22d  %16d%n", chars, kept, kept - chars, replayed);
    }
  }

  private static long measure(int rooms, int size, int chars, boolean replayed) {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    LobbySettings.History settings =
        new LobbySettings.History(size, Duration.ofMinutes(5), 1 << 30, 1_000);
    List<SessionId> senders = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      senders.add(SessionId.random()); // a room's few members, shared as they are in a room
    }
    long before = used(memory);
    List<RoomHistory> histories = new ArrayList<>(rooms);
    List<Frame> frames = new ArrayList<>(replayed ? rooms * size : 0);
    RoomId room = new RoomId("room");
    StringBuilder text = new StringBuilder();
    for (int r = 0; r < rooms; r++) {
      RoomHistory history = new RoomHistory(settings, Duration.ofSeconds(5));
      for (int offset = 1; offset <= size; offset++) {
        text.setLength(0);
        text.append(r).append('-').append(offset).append(' ');
        while (text.length() < chars) {
          text.append('x');
        }
        SessionId from = senders.get(offset % senders.size());
        Payload msg = new Payload.Text(text.toString());
        history.add(offset, from, msg);
        if (replayed) { // what the entry keeps once a recovery rendered it
          frames.add(
              Frame.render(
                  new ClientEvent.Message(from, room, msg, (long) offset), JsonModeCodec.INSTANCE));
        }
      }
      histories.add(history);
    }
    long after = used(memory);
    long perMessage = (after - before) / ((long) rooms * size);
    if (histories.size() != rooms || frames.size() != (replayed ? rooms * size : 0)) {
      throw new AssertionError(); // keeps them reachable until measured
    }
    return perMessage;
  }

  private static long used(MemoryMXBean memory) {
    for (int i = 0; i < 4; i++) {
      System.gc();
    }
    return memory.getHeapMemoryUsage().getUsed();
  }
}
