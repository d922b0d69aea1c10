package io.github.lobby.client;

import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A {@link LobbyClient.Listener} that keeps every event, for tests to wait on and to check. The
 * lists are safe to read from the test's thread while the client adds to them.
 */
final class Recorder implements LobbyClient.Listener {

  final List<Welcome> welcomes = new CopyOnWriteArrayList<>();
  final List<Message> messages = new CopyOnWriteArrayList<>();
  final List<Joined> joined = new CopyOnWriteArrayList<>();
  final List<Left> left = new CopyOnWriteArrayList<>();
  final List<Whisper> whispers = new CopyOnWriteArrayList<>();
  final List<Members> members = new CopyOnWriteArrayList<>();
  final List<ServerError> errors = new CopyOnWriteArrayList<>();
  final List<LobbyClient.State> states = new CopyOnWriteArrayList<>();
  final List<String> resets = new CopyOnWriteArrayList<>();
  final List<Integer> disconnects = new CopyOnWriteArrayList<>();
  /** When each disconnect was told ({@link System#nanoTime()}). */
  final List<Long> disconnectTimes = new CopyOnWriteArrayList<>();
  /** Every event's name in the order they came, to check the order of different kinds. */
  final List<String> order = new CopyOnWriteArrayList<>();

  @Override
  public void onWelcome(Welcome welcome) {
    welcomes.add(welcome);
    order.add("welcome");
  }

  @Override
  public void onMessage(Message message) {
    messages.add(message);
    order.add("message " + message.msg());
  }

  @Override
  public void onJoined(Joined event) {
    joined.add(event);
    order.add("joined " + event.id());
  }

  @Override
  public void onLeft(Left event) {
    left.add(event);
    order.add("left " + event.id());
  }

  @Override
  public void onWhisper(Whisper whisper) {
    whispers.add(whisper);
    order.add("whisper");
  }

  @Override
  public void onMembers(Members answer) {
    members.add(answer);
    order.add("members");
  }

  @Override
  public void onError(ServerError error) {
    errors.add(error);
    order.add("error " + error.code());
  }

  @Override
  public void onState(LobbyClient.State state) {
    states.add(state);
    order.add("state " + state);
  }

  @Override
  public void onReset(String reason) {
    resets.add(reason);
    order.add("reset " + reason);
  }

  @Override
  public void onDisconnected(int code, String reason) {
    disconnects.add(code);
    disconnectTimes.add(System.nanoTime());
    order.add("disconnected " + code);
  }

  /** The messages' values as ints, in the order they came. */
  List<Integer> values() {
    List<Integer> values = new ArrayList<>();
    for (Message message : messages) {
      values.add(message.msg().asInt());
    }
    return values;
  }

  /** The most of these instants ({@link System#nanoTime()}) that fall within one second. */
  static int busiestSecond(List<Long> times) {
    int busiest = 0;
    for (long start : times) {
      long end = start + 1_000_000_000L;
      int within = (int) times.stream().filter(t -> t >= start && t < end).count();
      busiest = Math.max(busiest, within);
    }
    return busiest;
  }

  /** Waits up to {@code timeout} for {@code condition}, and fails with {@code what} otherwise. */
  static void await(Duration timeout, Supplier<String> what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        fail("waited " + timeout + " for: " + what.get());
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  static void await(Duration timeout, String what, BooleanSupplier condition) {
    await(timeout, () -> what, condition);
  }
}
