package io.github.lobby.core;

/**
 * A codec for actor tests, which assert on events rather than wire text (the HTTP module tests the
 * real wire codecs). Client syntax: {@code members}; {@code w <to> <text>}; {@code json <value>};
 * {@code bad} (an invalid frame); {@code crash} (the codec throws an exception, a bug); {@code fail}
 * (the codec throws an Error, which stops the session); anything else is broadcast as text.
 */
final class TestCodec implements WireCodec {

  static final Codecs CODECS = new Codecs(new TestCodec(), new TestCodec());

  @Override
  public String render(ClientEvent event) {
    if (event instanceof ClientEvent.Message m && m.msg().equals(new Payload.Text("render-crash"))) {
      throw new IllegalStateException("test codec render crash"); // a bug in the room's path
    }
    return event.toString();
  }

  @Override
  public ClientRequest decode(String text) {
    if (text.equals("members")) {
      return ClientRequest.ListMembers.INSTANCE;
    }
    if (text.startsWith("crash")) {
      // Quotes the client's text, as a parser's message does.
      throw new IllegalStateException("test codec crash on " + text);
    }
    if (text.equals("fail")) {
      throw new AssertionError("test codec failure");
    }
    if (text.equals("bad")) {
      return new ClientRequest.Invalid("bad_request", "bad frame");
    }
    if (text.startsWith("wu ")) {
      String[] parts = text.split(" ", 3);
      return new ClientRequest.WhisperUser(
          parts[1], new Payload.Text(parts.length > 2 ? parts[2] : ""));
    }
    if (text.startsWith("refresh ")) {
      return new ClientRequest.Refresh(text.substring(8));
    }
    if (text.startsWith("w ")) {
      String[] parts = text.split(" ", 3);
      return new ClientRequest.Whisper(parts[1], new Payload.Text(parts.length > 2 ? parts[2] : ""));
    }
    if (text.startsWith("ref ")) {
      String[] parts = text.split(" ", 3);
      return new ClientRequest.Broadcast(new Payload.Text(parts[2]), parts[1]);
    }
    if (text.startsWith("json ")) {
      return new ClientRequest.Broadcast(new Payload.Json(text.substring(5)));
    }
    return new ClientRequest.Broadcast(new Payload.Text(text));
  }
}
