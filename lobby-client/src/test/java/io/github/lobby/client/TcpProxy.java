package io.github.lobby.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP proxy on 127.0.0.1 in front of a Lobby server, that a test can cut: {@link #cut()} resets
 * both sockets of every connection through it (no WebSocket Close), as a lost network does. It
 * counts the connection attempts it accepts, can refuse new ones (a server that is down), hold
 * back what the server sends, and be pointed at another port (a restarted server).
 */
final class TcpProxy implements AutoCloseable {

  private static final Pattern SINCE = Pattern.compile("since=(\\d+)");

  private final ServerSocket listener;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private final List<Long> attempts = new ArrayList<>();
  private volatile int targetPort;
  private volatile boolean refusing;
  private volatile boolean holding;
  private volatile boolean holdingUp;
  private volatile boolean closed;
  private volatile boolean cutAfterUpgrade;
  private volatile long sinceBack;

  TcpProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "proxy-accept-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** {@code ws://127.0.0.1:<proxy port>}, the base URI for a client. */
  URI base() {
    return URI.create("ws://127.0.0.1:" + listener.getLocalPort());
  }

  /** Connections from now on go to this port. */
  void target(int port) {
    targetPort = port;
  }

  /** While on, new connections are accepted and closed at once, as if the server were down. */
  void refuse(boolean on) {
    refusing = on;
  }

  /** While on, what the server sends is held back (delivered when it is off, unless cut). */
  void hold(boolean on) {
    holding = on;
  }

  /** While on, what the client sends is held back (delivered when it is off, unless cut). */
  void holdUp(boolean on) {
    holdingUp = on;
  }

  /**
   * What the server sends on the connections open now is held back for good, while the
   * connections stay open: to the client they are half-open (nothing arrives, not even Pings).
   */
  void silence() {
    links.forEach(link -> link.silenced = true);
  }

  /**
   * The next connection is reset right after the server's upgrade answer reached the client,
   * before any WebSocket frame: the client has its socket, the server its new connection, and
   * the welcome is lost.
   */
  void cutNextAfterUpgrade() {
    cutAfterUpgrade = true;
  }

  /**
   * From now on, a {@code since=N} in an upgrade request is sent on as {@code since=N-back} (not
   * below 0): the server replays messages the client already has, as an overlapping replay.
   */
  void moveSinceBack(long back) {
    sinceBack = back;
  }

  /** Resets every connection through the proxy, both sides, without a WebSocket Close. */
  int cut() {
    int cut = 0;
    for (Link link : links) {
      link.kill();
      cut++;
    }
    return cut;
  }

  /** How many connections were accepted so far. */
  int attempts() {
    synchronized (attempts) {
      return attempts.size();
    }
  }

  /** When each connection was accepted ({@link System#nanoTime()}). */
  List<Long> attemptTimes() {
    synchronized (attempts) {
      return new ArrayList<>(attempts);
    }
  }

  /** How many connections are open through the proxy now. */
  int open() {
    return links.size();
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    cut();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      synchronized (attempts) {
        attempts.add(System.nanoTime());
      }
      if (refusing) {
        reset(client);
        continue;
      }
      Socket server = new Socket();
      try {
        server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 2000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
      } catch (IOException e) {
        reset(client);
        reset(server);
        continue;
      }
      Link link = new Link(client, server);
      links.add(link);
      link.start();
    }
  }

  private static void reset(Socket socket) {
    try {
      if (socket.isConnected() && !socket.isClosed()) {
        socket.setSoLinger(true, 0); // an RST, not a FIN
      }
    } catch (IOException e) {
      // closing anyway
    }
    try {
      socket.close();
    } catch (IOException e) {
      // closed
    }
  }

  /** One connection: a client socket, a server socket and a thread pumping each way. */
  private final class Link {
    final Socket client;
    final Socket server;
    volatile boolean silenced;

    Link(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void start() {
      Thread up = new Thread(() -> pump(client, server, false), "proxy-up");
      Thread down = new Thread(() -> pump(server, client, true), "proxy-down");
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    void pump(Socket from, Socket to, boolean downstream) {
      byte[] buffer = new byte[16 * 1024];
      try {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        int n;
        String head = "";
        boolean first = downstream && cutAfterUpgrade;
        boolean request = !downstream && sinceBack > 0;
        while ((n = in.read(buffer)) >= 0) {
          if (request) {
            head += new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            if (!head.contains("\r\n\r\n")) {
              continue;
            }
            request = false;
            Matcher since = SINCE.matcher(head);
            if (since.find()) {
              long moved = Math.max(0, Long.parseLong(since.group(1)) - sinceBack);
              head = since.replaceFirst("since=" + moved);
            }
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            continue;
          }
          while ((downstream ? holding || silenced : holdingUp) && !from.isClosed()) {
            Thread.sleep(2);
          }
          if (first) {
            head += new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
            int end = head.indexOf("\r\n\r\n");
            if (end < 0) {
              continue;
            }
            cutAfterUpgrade = false;
            out.write(head.substring(0, end + 4).getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Thread.sleep(50);
            break;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // cut, or the other side closed
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      kill();
    }

    void kill() {
      if (links.remove(this)) {
        reset(client);
        reset(server);
      }
    }
  }
}
