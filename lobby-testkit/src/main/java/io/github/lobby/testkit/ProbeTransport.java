package io.github.lobby.testkit;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.Lobby;
import io.github.lobby.core.Mode;
import io.github.lobby.core.Resume;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.Session;
import io.github.lobby.core.SessionId;
import io.github.lobby.core.Transport;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.util.ByteString;

/**
 * A {@link Transport} without a network: everything the actors do with it (frames queued, Pings,
 * closes) goes to a {@link TestProbe} in order, and acknowledgements are counted. Connect a session
 * with it through {@link #connect}, then assert what its client would have received:
 *
 * <pre>{@code
 * ProbeTransport alice = ProbeTransport.create(testKit);
 * ActorRef<Session.Command> session = alice.connect(lobby, new RoomId("chat"), Mode.JSON);
 * ClientEvent.Welcome welcome = alice.expectEvent(ClientEvent.Welcome.class);
 * session.tell(new Session.ClientText("{\"type\":\"message\",\"msg\":\"hi\"}"));
 * }</pre>
 *
 * <p>Thread-safe, like every transport: rooms on any thread offer frames to it.
 */
public final class ProbeTransport implements Transport {

  /** What the actors did with the transport, in order. */
  public sealed interface Out permits Sent, SentBinary, Pinged, Closed {}

  /**
   * A text frame was queued.
   *
   * @param frame the frame: its event and its text as the client would read it
   */
  public record Sent(Frame frame) implements Out {
    /** The event the frame was rendered from. */
    public ClientEvent event() {
      return frame.event();
    }

    /** The frame's text, as sent on the wire. */
    public String text() {
      return frame.text();
    }
  }

  /** A binary frame was queued. */
  public record SentBinary(ByteString data) implements Out {}

  /** A Ping was requested. */
  public enum Pinged implements Out {
    /** The one value. */
    INSTANCE
  }

  /**
   * The connection was closed.
   *
   * @param now whether it was {@link Transport#closeNow}, dropping what was queued
   */
  public record Closed(int code, String reason, boolean now) implements Out {}

  /** How the transport answers offers of frames, to play a slow or closed connection. */
  public enum Answer {
    /** Frames are taken and reported (the default). */
    ACCEPT,
    /** The outbound queue is full: offers answer {@link Offer#FULL} and nothing is reported. */
    FULL,
    /**
     * The connection is gone: offers answer {@link Offer#CLOSED} and nothing is reported. With
     * {@link Session.TransportLost}, it plays a lost connection that a session survives with
     * {@code lobby.resumption.grace}.
     */
    CLOSED
  }

  private final ActorTestKit testKit;
  private final TestProbe<Out> probe;
  private final AtomicInteger acknowledged = new AtomicInteger();
  private final AtomicReference<Answer> answer = new AtomicReference<>(Answer.ACCEPT);

  private ProbeTransport(ActorTestKit testKit) {
    this.testKit = testKit;
    this.probe = testKit.createTestProbe(Out.class);
  }

  /** A transport reporting to a new probe of this test kit. */
  public static ProbeTransport create(ActorTestKit testKit) {
    return new ProbeTransport(testKit);
  }

  /**
   * Connects a new session with a random id through this transport, as the network layer would,
   * and returns the session actor, to which a test sends what the client would ({@link
   * Session.ClientText}, {@link Session.ClientBinary}, {@link Session.ClientPong}, ...).
   *
   * @param lobby the Lobby, or any reference that accepts its connection messages
   */
  public ActorRef<Session.Command> connect(
      ActorRef<? super Lobby.ConnectionCommand> lobby, RoomId room, Mode mode) {
    return connect(lobby, SessionId.random(), room, mode);
  }

  /** Like {@link #connect(ActorRef, RoomId, Mode)}, with a session id of the test's choosing. */
  public ActorRef<Session.Command> connect(
      ActorRef<? super Lobby.ConnectionCommand> lobby, SessionId id, RoomId room, Mode mode) {
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(new Lobby.Connect(id, room, mode, this, reply.ref()));
    ActorRef<Session.Command> session = reply.receiveMessage();
    reply.stop();
    return session;
  }

  /**
   * Connects through this transport a client that asks to resume a session ({@code
   * lobby.resumption}), as the network layer would for {@code ?resume=<id>&key=<key>}, and returns
   * the session actor. Its welcome says whether it was resumed ({@link
   * ClientEvent.Welcome#resumed()}) and under which id.
   */
  public ActorRef<Session.Command> resume(
      ActorRef<? super Lobby.ConnectionCommand> lobby, RoomId room, Resume resume) {
    TestProbe<ActorRef<Session.Command>> reply = testKit.createTestProbe();
    lobby.tell(
        new Lobby.Connect(
            SessionId.random(),
            room,
            Mode.JSON,
            this,
            Optional.empty(),
            Optional.empty(),
            Optional.of(resume),
            reply.ref()));
    ActorRef<Session.Command> session = reply.receiveMessage();
    reply.stop();
    return session;
  }

  /** The probe that receives an {@link Out} for everything done with this transport. */
  public TestProbe<Out> probe() {
    return probe;
  }

  /** From now on, offers of frames are answered this way. */
  public void answer(Answer answer) {
    this.answer.set(answer);
  }

  /** How many client messages the session has acknowledged as processed so far. */
  public int acknowledged() {
    return acknowledged.get();
  }

  /**
   * Waits until the session has acknowledged at least {@code count} client messages, up to the
   * test kit's default timeout.
   */
  public void awaitAcknowledged(int count) {
    probe.awaitAssert(
        () -> {
          int now = acknowledged.get();
          if (now < count) {
            throw new AssertionError(now + " of " + count + " client messages acknowledged");
          }
          return null;
        });
  }

  @Override
  public Offer sendText(Frame frame) {
    Offer offer = offer();
    if (offer == Offer.ACCEPTED) {
      probe.ref().tell(new Sent(frame));
    }
    return offer;
  }

  @Override
  public Offer sendBinary(ByteString data) {
    Offer offer = offer();
    if (offer == Offer.ACCEPTED) {
      probe.ref().tell(new SentBinary(data));
    }
    return offer;
  }

  private Offer offer() {
    return switch (answer.get()) {
      case ACCEPT -> Offer.ACCEPTED;
      case FULL -> Offer.FULL;
      case CLOSED -> Offer.CLOSED;
    };
  }

  @Override
  public void ping() {
    probe.ref().tell(Pinged.INSTANCE);
  }

  @Override
  public void close(int code, String reason) {
    probe.ref().tell(new Closed(code, reason, false));
  }

  @Override
  public void closeNow(int code, String reason) {
    probe.ref().tell(new Closed(code, reason, true));
  }

  @Override
  public void acknowledge() {
    acknowledged.incrementAndGet();
  }

  /** Expects the next thing done to be a text frame, and returns its event. */
  public ClientEvent expectEvent() {
    return probe.expectMessageClass(Sent.class).event();
  }

  /** Expects the next thing done to be a text frame carrying an event of this type. */
  public <E extends ClientEvent> E expectEvent(Class<E> type) {
    ClientEvent event = expectEvent();
    if (!type.isInstance(event)) {
      throw new AssertionError("expected a " + type.getSimpleName() + " event, got " + event);
    }
    return type.cast(event);
  }

  /** Expects the next thing done to be a text frame carrying exactly this event. */
  public void expectEvent(ClientEvent event) {
    ClientEvent actual = expectEvent();
    if (!event.equals(actual)) {
      throw new AssertionError("expected " + event + ", got " + actual);
    }
  }

  /** Expects the next thing done to be a text frame, and returns its text as sent on the wire. */
  public String expectText() {
    return probe.expectMessageClass(Sent.class).text();
  }

  /** Expects the next thing done to be a binary frame, and returns its bytes. */
  public ByteString expectBinary() {
    return probe.expectMessageClass(SentBinary.class).data();
  }

  /** Expects the next thing done to be a Ping. */
  public void expectPing() {
    probe.expectMessage(Pinged.INSTANCE);
  }

  /** Expects the next thing done to be a close (either kind), and returns it. */
  public Closed expectClosed() {
    return probe.expectMessageClass(Closed.class);
  }

  /** Expects the next thing done to be a close with this code, and returns it. */
  public Closed expectClosed(int code) {
    Closed closed = expectClosed();
    if (closed.code() != code) {
      throw new AssertionError("expected a close with " + code + ", got " + closed);
    }
    return closed;
  }

  /** Expects nothing to be done for the test kit's {@code expect-no-message-default}. */
  public void expectNothing() {
    probe.expectNoMessage();
  }

  /** Expects nothing to be done for this long. */
  public void expectNothing(Duration within) {
    probe.expectNoMessage(within);
  }
}
