package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.lobby.core.SessionId;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One room's sequencer on its own (no cluster): it numbers a room's broadcasts in the room's order
 * only, asks once for what is missing after a gap, ignores what it had and what was meant for its
 * predecessor, starts a room that started again afresh, and passivates once no node has the room.
 */
class RoomSequencerTest {

  static final ActorTestKit testKit = ActorTestKit.create();
  static final String NODE_A = "pekko://lobby@127.0.0.1:2552";
  static final String NODE_B = "pekko://lobby@127.0.0.1:2553";
  static final String FROM = SessionId.random().toString();

  TestProbe<ClusterSharding.ShardCommand> shard;
  TestProbe<SequenceInbox.Command> inboxA;
  TestProbe<SequenceInbox.Command> inboxB;
  ActorRef<RoomSequencer.Command> sequencer;
  String epoch;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void start() {
    shard = testKit.createTestProbe();
    inboxA = testKit.createTestProbe();
    inboxB = testKit.createTestProbe();
    sequencer = testKit.spawn(RoomSequencer.create("r", shard.ref()));
    epoch = subscribe(NODE_A, inboxA).epoch();
    subscribe(NODE_B, inboxB);
  }

  private SequenceInbox.State subscribe(String node, TestProbe<SequenceInbox.Command> inbox) {
    sequencer.tell(
        new RoomSequencer.Subscribe("r", node, 100, 300_000, 1 << 20, 100, inbox.ref(), null));
    SequenceInbox.State state = inbox.expectMessageClass(SequenceInbox.State.class);
    assertTrue(state.first() && state.last());
    return state;
  }

  private void send(String incarnation, String epoch, long base, long seq, String text) {
    sequencer.tell(
        new RoomSequencer.Sequence(
            "r", NODE_A, incarnation, epoch, base, seq, FROM, text, null, inboxA.ref()));
  }

  /** The next numbered broadcast both nodes get: "text@offset". */
  private String numbered() {
    SequenceInbox.Sequenced a = inboxA.expectMessageClass(SequenceInbox.Sequenced.class);
    SequenceInbox.Sequenced b = inboxB.expectMessageClass(SequenceInbox.Sequenced.class);
    assertEquals(a, b, "the same to every node");
    return a.text() + "@" + a.offset();
  }

  @Test
  void aRoomsBroadcastsAreNumberedInItsOrderOnlyAndAGapIsAskedForOnce() {
    send("1", epoch, 1, 1, "one");
    assertEquals("one@1", numbered());
    send("1", epoch, 2, 3, "three"); // two was lost on the way
    assertEquals(new SequenceInbox.Gap("r", epoch, 2), inboxA.receiveMessage());
    send("1", epoch, 2, 4, "four"); // still missing two: dropped, not asked again
    inboxA.expectNoMessage(Duration.ofMillis(100));
    inboxB.expectNoMessage(Duration.ofMillis(100));
    send("1", epoch, 2, 2, "two"); // the room sends again from the gap
    send("1", epoch, 2, 3, "three");
    send("1", epoch, 2, 4, "four");
    send("1", epoch, 2, 3, "three"); // a copy: ignored
    assertEquals(List.of("two@2", "three@3", "four@4"), List.of(numbered(), numbered(), numbered()));
    inboxA.expectNoMessage(Duration.ofMillis(100));
  }

  @Test
  void aBroadcastForAnotherEpochIsIgnoredAndARoomStartedAgainCountsAfresh() {
    send("1", "0000000000000000", 1, 1, "old");
    inboxB.expectNoMessage(Duration.ofMillis(100));
    send("1", epoch, 1, 1, "one");
    send("1", epoch, 1, 2, "two");
    assertEquals(List.of("one@1", "two@2"), List.of(numbered(), numbered()));
    send("2", epoch, 1, 1, "again"); // the room on node A started again: it numbers from 1
    assertEquals("again@3", numbered());
    // A room that resends after a sequencer change starts where its pending broadcasts start.
    send("3", epoch, 7, 7, "seven");
    assertEquals("seven@4", numbered());
  }

  @Test
  void aNewSubscriberGetsTheKeptHistoryAndTheSequencerPassivatesWhenNoNodeHasTheRoom() {
    send("1", epoch, 1, 1, "one");
    numbered();
    TestProbe<SequenceInbox.Command> inboxC = testKit.createTestProbe();
    SequenceInbox.State state = subscribe("pekko://lobby@127.0.0.1:2554", inboxC);
    assertEquals(1, state.offset());
    assertEquals(1, state.kept().size());
    SequenceInbox.Kept kept = state.kept().get(0);
    assertEquals(List.of(1L, FROM, "one"), List.of(kept.offset(), kept.from(), kept.text()));
    assertTrue(kept.ageMillis() >= 0 && kept.ageMillis() < 1_000, "its age: " + kept.ageMillis());
    sequencer.tell(new RoomSequencer.Unsubscribe("r", inboxA.ref()));
    sequencer.tell(new RoomSequencer.Unsubscribe("r", inboxB.ref()));
    shard.expectNoMessage(Duration.ofMillis(300)); // node C still has the room
    sequencer.tell(new RoomSequencer.Unsubscribe("r", inboxC.ref()));
    ClusterSharding.Passivate<?> passivate =
        assertInstanceOf(ClusterSharding.Passivate.class, shard.receiveMessage(Duration.ofSeconds(3)));
    assertEquals(sequencer, passivate.entity());
  }

  @Test
  void aSequencerWhoseShardMovesHandsItsStateToASuccessorThatGoesOnInTheSameEpoch() {
    send("1", epoch, 1, 1, "one");
    send("1", epoch, 1, 2, "two");
    assertEquals(List.of("one@1", "two@2"), List.of(numbered(), numbered()));
    sequencer.tell(RoomSequencer.Stop.INSTANCE); // sharding moves its shard
    SequenceInbox.State handoff = inboxA.expectMessageClass(SequenceInbox.State.class);
    assertEquals(inboxB.expectMessageClass(SequenceInbox.State.class), handoff, "to every node");
    assertEquals(List.of(new RoomSequencer.StreamState(NODE_A, "1", 2)), handoff.handoff());
    assertEquals(2, handoff.kept().size());

    ActorRef<RoomSequencer.Command> successor =
        testKit.spawn(RoomSequencer.create("r", shard.ref()));
    successor.tell(
        new RoomSequencer.Subscribe(
            "r",
            NODE_A,
            100,
            300_000,
            1 << 20,
            100,
            inboxA.ref(),
            new RoomSequencer.Handoff(
                handoff.epoch(), handoff.offset(), handoff.kept(), handoff.handoff())));
    SequenceInbox.State state = inboxA.expectMessageClass(SequenceInbox.State.class);
    assertEquals(epoch, state.epoch(), "the same epoch");
    assertEquals(2, state.offset());
    assertEquals(handoff.kept(), state.kept());
    sequencer = successor;
    subscribe(NODE_B, inboxB);
    send("1", epoch, 2, 2, "two"); // sent again by the room: the successor had it
    send("1", epoch, 3, 3, "three");
    assertEquals("three@3", numbered());
  }
}
