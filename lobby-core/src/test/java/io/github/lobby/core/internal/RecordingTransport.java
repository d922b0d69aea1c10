package io.github.lobby.core.internal;

import io.github.lobby.core.ClientEvent;
import io.github.lobby.core.Frame;
import io.github.lobby.core.Transport;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.util.ByteString;

/** A transport for plain unit tests: records the frames offered, or answers a fixed offer. */
final class RecordingTransport implements Transport {

  final List<Frame> frames = new ArrayList<>();
  int acknowledged;

  /** How offers are answered; ACCEPTED ones are recorded. */
  Offer answer = Offer.ACCEPTED;

  @Override
  public Offer sendText(Frame frame) {
    if (answer == Offer.ACCEPTED) {
      frames.add(frame);
    }
    return answer;
  }

  @Override
  public Offer sendBinary(ByteString data) {
    return answer;
  }

  @Override
  public void ping() {}

  @Override
  public void close(int code, String reason) {}

  @Override
  public void acknowledge() {
    acknowledged++;
  }

  /** The events of the frames offered so far, in order. */
  List<ClientEvent> events() {
    return frames.stream().map(Frame::event).toList();
  }
}
