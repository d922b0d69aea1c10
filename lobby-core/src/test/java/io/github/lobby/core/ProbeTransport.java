package io.github.lobby.core;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.util.ByteString;

/**
 * A transport that reports everything the actors do with it to a probe; public for the tests of
 * the internal package.
 */
public final class ProbeTransport implements Transport {

  /** What the actors did with the transport. */
  public sealed interface Out {}

  /** A text frame was queued. */
  public record Sent(Frame frame) implements Out {
    public ClientEvent event() {
      return frame.event();
    }
  }

  /** A binary frame was queued. */
  public record SentBinary(ByteString data) implements Out {}

  /** A Ping was requested. */
  public enum Pinged implements Out {
    INSTANCE
  }

  /** The connection was closed. */
  public record Closed(int code, String reason) implements Out {}

  public final TestProbe<Out> probe;
  public final AtomicInteger acknowledged = new AtomicInteger();
  /** When set, text and binary offers answer FULL. */
  public final AtomicBoolean full = new AtomicBoolean();
  /**
   * When set, text and binary offers answer CLOSED and nothing is reported: the connection is gone,
   * as a real transport answers once its connection has ended.
   */
  public final AtomicBoolean closed = new AtomicBoolean();

  public ProbeTransport(ActorTestKit testKit) {
    this.probe = testKit.createTestProbe(Out.class);
  }

  @Override
  public Offer sendText(Frame frame) {
    if (closed.get()) {
      return Offer.CLOSED;
    }
    if (full.get()) {
      return Offer.FULL;
    }
    probe.ref().tell(new Sent(frame));
    return Offer.ACCEPTED;
  }

  @Override
  public Offer sendBinary(ByteString data) {
    if (closed.get()) {
      return Offer.CLOSED;
    }
    if (full.get()) {
      return Offer.FULL;
    }
    probe.ref().tell(new SentBinary(data));
    return Offer.ACCEPTED;
  }

  @Override
  public void ping() {
    probe.ref().tell(Pinged.INSTANCE);
  }

  @Override
  public void close(int code, String reason) {
    probe.ref().tell(new Closed(code, reason));
  }

  @Override
  public void acknowledge() {
    acknowledged.incrementAndGet();
  }

  /** Expects the next thing done to be a text frame and returns its event. */
  public ClientEvent expectEvent() {
    return probe.expectMessageClass(Sent.class).event();
  }

  /** Expects the next thing done to be a text frame carrying this event. */
  public void expectEvent(ClientEvent event) {
    org.junit.jupiter.api.Assertions.assertEquals(event, expectEvent());
  }
}
