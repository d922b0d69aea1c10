package io.github.lobby.cluster;

import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.Address;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.sharding.ShardCoordinator;
import scala.collection.immutable.IndexedSeq;
import scala.concurrent.Future;

/**
 * Where the shards of {@link RoomSequencer}s go: a new shard to the node with the fewest among
 * those that are up (not to one leaving, exiting or down, where it would be reset moments later),
 * and a shard never moves while its node is up. Pekko's default strategy moves shards to nodes that
 * join, to even the load; a sequencer keeps its state in memory only, so every move would give
 * its rooms a new epoch and their clients a history reset. Shards still move when their node
 * leaves or is lost, which no strategy can avoid.
 */
final class KeepShards extends ShardCoordinator.AbstractShardAllocationStrategy {

  private final Cluster cluster;

  KeepShards(Cluster cluster) {
    this.cluster = cluster;
  }

  @Override
  public Future<ActorRef> allocateShard(
      ActorRef requester, String shardId, Map<ActorRef, IndexedSeq<String>> current) {
    ActorRef least = requester;
    int fewest = Integer.MAX_VALUE;
    for (Map.Entry<ActorRef, IndexedSeq<String>> region : current.entrySet()) {
      int shards = region.getValue().size();
      if (shards < fewest && isUp(region.getKey())) {
        fewest = shards;
        least = region.getKey();
      }
    }
    return Future.successful(least);
  }

  /** Whether the node of a shard region is up (a local region is on this node). */
  private boolean isUp(ActorRef region) {
    Address address =
        region.path().address().hasLocalScope()
            ? cluster.selfMember().address()
            : region.path().address();
    for (Member member : cluster.state().getMembers()) {
      if (member.address().equals(address)) {
        return member.status() == MemberStatus.up() || member.status() == MemberStatus.weaklyUp();
      }
    }
    return false;
  }

  @Override
  public Future<Set<String>> rebalance(
      Map<ActorRef, IndexedSeq<String>> current, Set<String> inProgress) {
    return Future.successful(Set.of());
  }
}
