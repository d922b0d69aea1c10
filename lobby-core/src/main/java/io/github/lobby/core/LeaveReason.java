package io.github.lobby.core;

/** Why a session left its room; told to the remaining members. */
public enum LeaveReason {
  /** The client closed the connection or the network dropped it. */
  CLOSED("closed"),
  /** No frame arrived from the client within the client timeout. */
  TIMEOUT("timeout"),
  /** The client did not read fast enough and its outbound queue overflowed. */
  SLOW_CONSUMER("slow_consumer"),
  /** The client broke the protocol or the connection failed. */
  ERROR("error");

  private final String wireName;

  LeaveReason(String wireName) {
    this.wireName = wireName;
  }

  /** The name used on the wire, e.g. {@code slow_consumer}. */
  public String wireName() {
    return wireName;
  }
}
