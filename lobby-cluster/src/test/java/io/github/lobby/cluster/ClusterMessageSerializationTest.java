package io.github.lobby.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.typesafe.config.ConfigFactory;
import io.github.lobby.core.PeerEvent;
import io.github.lobby.core.RoomId;
import io.github.lobby.core.SessionId;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What crosses between nodes, through the serializer this module binds (Jackson CBOR): users of
 * authenticated sessions survive the trip, are null on the wire when there are none, and envelopes
 * of a node that writes no users still read.
 */
class ClusterMessageSerializationTest {

  private static final RoomId ROOM = new RoomId("r");
  private static final String NODE = "pekko://lobby@127.0.0.1:2552";

  private static ActorSystem<Void> system;
  private static Serialization serialization;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "serialization", ConfigFactory.load());
    serialization = SerializationExtension.get(Adapter.toClassic(system));
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private static byte[] serialize(Object message) {
    return serialization.serialize(message).get();
  }

  private static Object deserialize(byte[] bytes, Object like) {
    Serializer serializer = serialization.findSerializerFor(like);
    return serialization
        .deserialize(bytes, serializer.identifier(), Serializers.manifestFor(serializer, like))
        .get();
  }

  /** Whether a field is null or absent. */
  private static boolean none(JsonNode tree, String field) {
    return tree.path(field).isNull() || tree.path(field).isMissingNode();
  }

  @Test
  void aJoinCarriesItsUser() throws Exception {
    SessionId id = SessionId.random();
    Envelope envelope = Envelope.of(ROOM, new PeerEvent.Joined(NODE, id, "alice"));
    byte[] bytes = serialize(envelope);
    assertEquals(envelope, deserialize(bytes, envelope));
    assertEquals(new PeerEvent.Joined(NODE, id, "alice"), envelope.toEvent());
    assertTrue(envelope.sizeBound() >= bytes.length, envelope.sizeBound() + " < " + bytes.length);
    assertEquals("alice", new CBORMapper().readTree(bytes).get("user").asText());
  }

  @Test
  void aMemberListCarriesTheUsersOfItsAuthenticatedMembers() {
    SessionId alice = SessionId.random();
    SessionId anonymous = SessionId.random();
    SessionId bob = SessionId.random();
    PeerEvent.Members members =
        new PeerEvent.Members(
            NODE,
            List.of(alice, anonymous, bob),
            Map.of(alice, "alice", bob, "b".repeat(256)));
    Envelope envelope = Envelope.of(ROOM, members);
    byte[] bytes = serialize(envelope);
    Envelope back = (Envelope) deserialize(bytes, envelope);
    assertEquals(members, back.toEvent());
    assertTrue(envelope.sizeBound() >= bytes.length, envelope.sizeBound() + " < " + bytes.length);
  }

  @Test
  void withoutUsersTheWireFormHasNone() throws Exception {
    SessionId id = SessionId.random();
    Envelope joined = Envelope.of(ROOM, new PeerEvent.Joined(NODE, id));
    Envelope members = Envelope.of(ROOM, new PeerEvent.Members(NODE, List.of(id)));
    JsonNode joinedTree = new CBORMapper().readTree(serialize(joined));
    JsonNode membersTree = new CBORMapper().readTree(serialize(members));
    assertTrue(none(joinedTree, "user") && none(joinedTree, "users"), joinedTree.toString());
    assertTrue(none(membersTree, "users"), membersTree.toString());
    Envelope back = (Envelope) deserialize(serialize(members), members);
    assertEquals(new PeerEvent.Members(NODE, List.of(id)), back.toEvent());
  }

  @Test
  void anEnvelopeWithoutUserFieldsReadsAsHavingNoUsers() throws Exception {
    // What a node that does not know users writes: the fields before them only.
    SessionId id = SessionId.random();
    CBORMapper cbor = new CBORMapper();
    ObjectNode old = cbor.createObjectNode();
    old.put("kind", "members").put("room", "r").put("node", NODE);
    old.putNull("id").putNull("reason").putNull("text").putNull("json");
    old.putArray("members").add(id.toString());
    Envelope like = Envelope.of(ROOM, new PeerEvent.Members(NODE, List.of(id)));
    Envelope read = (Envelope) deserialize(cbor.writeValueAsBytes(old), like);
    assertEquals(like, read);
    assertEquals(new PeerEvent.Members(NODE, List.of(id)), read.toEvent());
  }

  @Test
  void aSnapshotCarriesUsersOnlyForRoomsThatHaveSome() throws Exception {
    String alice = SessionId.random().toString();
    String anonymous = SessionId.random().toString();
    NodeHub.Snapshot snapshot =
        new NodeHub.Snapshot(
            NODE,
            Map.of("a", List.of(alice), "b", List.of(anonymous)),
            Map.of("a", Map.of(alice, "alice")));
    assertEquals(snapshot, deserialize(serialize(snapshot), snapshot));
    NodeHub.Snapshot anonymousOnly =
        new NodeHub.Snapshot(NODE, Map.of("b", List.of(anonymous)), null);
    byte[] bytes = serialize(anonymousOnly);
    assertEquals(anonymousOnly, deserialize(bytes, anonymousOnly));
    assertTrue(none(new CBORMapper().readTree(bytes), "users"));
  }

  @Test
  void aWhisperToAUserAndItsAnswerCross() {
    ActorRef<WhisperService.SearchEvent> search =
        system.systemActorOf(Behaviors.ignore(), "search", Props.empty());
    WhisperService.UserRequest request =
        new WhisperService.UserRequest(
            SessionId.random().toString(), "alice", "r", null, "{\"a\":\"é\"}", search);
    byte[] bytes = serialize(request);
    assertEquals(request, deserialize(bytes, request));
    assertTrue(request.sizeBound() >= bytes.length, request.sizeBound() + " < " + bytes.length);
    WhisperService.UserReply reply = new WhisperService.UserReply(2);
    assertEquals(reply, deserialize(serialize(reply), reply));
  }

  @Test
  void whatRoomsAndTheirSequencersTellEachOtherCrosses() {
    ActorRef<SequenceInbox.Command> inbox =
        system.systemActorOf(Behaviors.ignore(), "inbox", Props.empty());
    ActorRef<RoomSequencer.Command> sequencer =
        system.systemActorOf(Behaviors.ignore(), "sequencer", Props.empty());
    String from = SessionId.random().toString();
    List<Object> messages =
        List.of(
            new RoomSequencer.Subscribe("r", NODE, 100, 300_000, 131_072, 5_000, inbox, null),
            new RoomSequencer.Subscribe(
                "r",
                NODE,
                100,
                300_000,
                131_072,
                5_000,
                inbox,
                new RoomSequencer.Handoff(
                    "0123456789abcdef",
                    9,
                    List.of(new SequenceInbox.Kept(9, from, "t", null, 1_500)),
                    List.of(new RoomSequencer.StreamState(NODE, "17", 8)))),
            new RoomSequencer.Unsubscribe("r", inbox),
            new RoomSequencer.Sequence(
                "r", NODE, "17", "0123456789abcdef", 7, 7, from, "h\u00e9", null, inbox),
            new RoomSequencer.Sequence(
                "r", NODE, "17", "0123456789abcdef", 7, 8, from, null, "{\"a\":[1]}", inbox),
            new SequenceInbox.Gap("r", "0123456789abcdef", 7),
            new SequenceInbox.State(
                "r",
                "0123456789abcdef",
                9,
                List.of(new SequenceInbox.Kept(8, from, null, "{\"a\":[1]}", 0)),
                true,
                false,
                sequencer,
                null),
            new SequenceInbox.State(
                "r",
                "0123456789abcdef",
                9,
                List.of(),
                true,
                true,
                sequencer,
                List.of(new RoomSequencer.StreamState(NODE, "17", 8))),
            new SequenceInbox.Sequenced("r", NODE, "0123456789abcdef", 9, 8, from, "x", null));
    for (Object message : messages) {
      assertEquals(message, deserialize(serialize(message), message));
    }
  }
}
