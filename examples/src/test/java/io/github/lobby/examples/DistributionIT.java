package io.github.lobby.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as an operator gets it: Maven's {@code lobby-<version>.tar.gz} (its path in
 * the system property {@code lobby.distribution}, which the failsafe plugin sets after {@code
 * package}) unpacked with {@code tar}, its {@code conf/} edited, and {@code bin/lobby} started,
 * served, and stopped with SIGTERM. Also checks that deploy/Dockerfile copies the directory that
 * Maven unpacks the distribution into.
 */
class DistributionIT {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final String TOKEN = "distribution-test-token";
  private static final Pattern LISTENING =
      Pattern.compile("Lobby listening on /127\\.0\\.0\\.1:(\\d+)");
  /** What conf/logback.xml is edited to put before every line: the proof that it is read. */
  private static final String MARKER = "[from conf/logback.xml] ";

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir Path unpacked;

  private Process server;
  private final List<String> log = new CopyOnWriteArrayList<>();

  /** Kills what is left of the server, its children too (a java that a shell did not exec). */
  @AfterEach
  void killLeftover() throws InterruptedException {
    if (server != null) {
      server.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
      if (server.isAlive()) {
        server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void binLobbyStartsTheServerLeanWithConfAndStopsCleanlyOnSigterm() throws Exception {
    Path home = unpack();
    // conf/ is what the server reads: the metrics answer without the admin token only with this
    // line, and every log line carries the marker only with this pattern.
    Files.writeString(
        home.resolve("conf/application.conf"),
        "\nlobby.http.metrics-public = on\n",
        StandardOpenOption.APPEND);
    Path logback = home.resolve("conf/logback.xml");
    String logbackXml = Files.readString(logback);
    assertTrue(logbackXml.contains("<pattern>%d{HH:mm:ss.SSS}"), logbackXml);
    Files.writeString(
        logback,
        logbackXml.replace("<pattern>%d{HH:mm:ss.SSS}", "<pattern>" + MARKER + "%d{HH:mm:ss.SSS}"));

    // JAVA_HOME: a Java whose bin/java notes that it ran, then runs this JVM's java.
    Path javaHome = Path.of(System.getProperty("java.home"));
    Path chosenHome = unpacked.resolve("chosen-java");
    Path chosenJava = Files.createDirectories(chosenHome.resolve("bin")).resolve("java");
    Files.writeString(
        chosenJava,
        "#!/bin/sh\ntouch \"$(dirname \"$0\")/../used\"\nexec '"
            + javaHome.resolve("bin/java")
            + "' \"$@\"\n");
    assertTrue(chosenJava.toFile().setExecutable(true), "chmod +x " + chosenJava);
    ProcessBuilder launch =
        new ProcessBuilder(home.resolve("bin/lobby").toString())
            .directory(unpacked.toFile())
            .redirectErrorStream(true);
    Map<String, String> env = launch.environment();
    env.keySet().removeIf(name -> name.startsWith("LOBBY_") || name.equals("JDK_JAVA_OPTIONS"));
    env.put("JAVA_HOME", chosenHome.toString());
    env.put("LOBBY_PORT", "0");
    env.put("LOBBY_ADMIN_TOKEN", TOKEN);
    env.put("LOBBY_UNBIND_DELAY", "3s");
    // One lean option overridden (C2 back), and short stop timeouts for the test.
    env.put(
        "JAVA_OPTS",
        "-XX:TieredStopAtLevel=4 -Dlobby.http.shutdown-timeout=3s -Dlobby.http.close-timeout=1s");
    server = launch.start();
    readLog(server);

    int port = Integer.parseInt(awaitLine(LISTENING, 90).group(1));

    // exec: the launched process is java itself, not a shell waiting for it; JAVA_HOME's.
    String command = server.info().command().orElseThrow();
    assertEquals(
        javaHome.resolve("bin/java").toRealPath(), Path.of(command).toRealPath(), "the process");
    assertTrue(Files.exists(chosenHome.resolve("used")), "bin/lobby ran $JAVA_HOME/bin/java");

    // The lean options as the JVM took them; JAVA_OPTS came later and won for TieredStopAtLevel.
    assertTrue(
        log.stream()
            .anyMatch(
                line ->
                    line.contains(
                        "JVM options in effect: UseSerialGC=true InitialHeapSize=134217728"
                            + " NewSize=67108864 MaxNewSize=67108864 TieredStopAtLevel=4")),
        "the JVM options line:\n" + String.join("\n", log));
    assertTrue(
        log.stream()
            .filter(line -> line.contains("Lobby listening on"))
            .allMatch(line -> line.startsWith(MARKER)),
        "conf/logback.xml's pattern:\n" + String.join("\n", log));

    assertEquals(200, awaitStatus(port, "/health/ready", 200, 30), "GET /health/ready");
    assertEquals(200, get(port, "/metrics").statusCode(), "GET /metrics without the token");

    Session session = Session.open(port, "dist-room");
    String welcome = session.first.get(20, TimeUnit.SECONDS);
    assertTrue(welcome.contains("\"type\":\"welcome\""), welcome);
    assertTrue(welcome.contains("\"room_id\":\"dist-room\""), welcome);

    // SIGTERM, as docker stop and the kubelet send it (through the process handle: Process's
    // own destroy() also closes the pipe the server logs to).
    assertTrue(server.toHandle().destroy(), "SIGTERM sent");
    // LOBBY_UNBIND_DELAY took effect: readiness answers 503 for 3 s before the listener closes.
    awaitLine(Pattern.compile("is not ready; it stops accepting in PT3S"), 20);
    assertEquals(503, get(port, "/health/ready").statusCode(), "GET /health/ready while stopping");
    assertTrue(
        server.waitFor(30, TimeUnit.SECONDS),
        "the server exits within unbind-delay + shutdown-timeout + close-timeout");
    // The JVM's exit status after a SIGTERM that ran its shutdown hooks: 128 + 15.
    assertEquals(143, server.exitValue(), "exit status:\n" + String.join("\n", log));
    assertEquals(1001, session.closeCode.get(10, TimeUnit.SECONDS), "the session's close code");
    assertTrue(
        log.stream().anyMatch(line -> line.contains("Running CoordinatedShutdown")),
        String.join("\n", log));
  }

  @Test
  void dockerfileCopiesTheDirectoryMavenBuilds() throws IOException {
    Path target = archive().getParent();
    String name = archive().getFileName().toString().replace(".tar.gz", "");
    Path built = target.resolve("distribution").resolve(name);
    assertTrue(Files.isExecutable(built.resolve("bin/lobby")), built + "/bin/lobby");
    assertTrue(Files.isDirectory(built.resolve("lib")), built + "/lib");

    String dockerfile = Files.readString(ROOT.resolve("deploy/Dockerfile"));
    Matcher version =
        Pattern.compile("(?m)^ARG VERSION=(\\S+)$").matcher(dockerfile);
    assertTrue(version.find(), "ARG VERSION in deploy/Dockerfile");
    Matcher copy = Pattern.compile("(?m)^COPY (\\S+) /opt/lobby/$").matcher(dockerfile);
    assertTrue(copy.find(), "COPY ... /opt/lobby/ in deploy/Dockerfile");
    String source = copy.group(1).replace("${VERSION}", version.group(1));
    assertEquals(name + "/", source, "what deploy/Dockerfile copies from its build context");
    assertTrue(
        dockerfile.contains("examples/target/distribution"),
        "deploy/Dockerfile names its build context");
  }

  /**
   * A configuration the server refuses stops {@code bin/lobby} with a non-zero status and a message
   * naming the key: found before any thread starts (a short admin token, a JWK Set URL over plain
   * http to another host) or only as the server starts (a JWK Set file that is not there).
   */
  @Test
  void aRefusedConfigurationStopsBinLobbyNamingTheKey() throws Exception {
    Path home = unpack();
    // {LOBBY_ADMIN_TOKEN, JAVA_OPTS, the key named}
    List<String[]> refused =
        List.of(
            new String[] {"fifteen-chars-x", "", "lobby.http.admin-token"},
            new String[] {
              TOKEN,
              "-Dlobby.auth.mode=jwt -Dlobby.auth.jwt.jwks-url=http://issuer.test/jwks.json",
              "lobby.auth.jwt.jwks-url"
            },
            new String[] {
              TOKEN,
              "-Dlobby.auth.mode=jwt -Dlobby.auth.jwt.jwks-file="
                  + unpacked.resolve("absent-jwks.json"),
              "lobby.auth.jwt.jwks-file"
            });
    for (String[] c : refused) {
      String key = c[2];
      log.clear();
      ProcessBuilder launch =
          new ProcessBuilder(home.resolve("bin/lobby").toString())
              .directory(unpacked.toFile())
              .redirectErrorStream(true);
      Map<String, String> env = launch.environment();
      env.keySet().removeIf(name -> name.startsWith("LOBBY_") || name.equals("JDK_JAVA_OPTIONS"));
      env.put("LOBBY_PORT", "0");
      env.put("LOBBY_ADMIN_TOKEN", c[0]);
      env.put("JAVA_OPTS", c[1]);
      server = launch.start();
      readLog(server);
      assertTrue(
          server.waitFor(60, TimeUnit.SECONDS), key + ": still running:\n" + String.join("\n", log));
      Thread.sleep(200); // the last lines
      String output = String.join("\n", log);
      assertNotEquals(0, server.exitValue(), key + ":\n" + output);
      assertTrue(output.contains("Invalid value at '" + key + "'"), key + ":\n" + output);
      assertFalse(output.contains("fifteen-chars-x"), "the token is not shown:\n" + output);
    }
  }

  private static Path archive() {
    String path = System.getProperty("lobby.distribution");
    assertNotNull(path, "system property lobby.distribution (set by the failsafe plugin)");
    Path archive = Path.of(path);
    assertTrue(Files.isRegularFile(archive), archive + " (built by mvn package)");
    return archive;
  }

  /** Unpacks the archive as an operator does, and returns the distribution's directory. */
  private Path unpack() throws Exception {
    Process tar =
        new ProcessBuilder("tar", "-xzf", archive().toString(), "-C", unpacked.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(tar.waitFor(60, TimeUnit.SECONDS) && tar.exitValue() == 0, output);
    try (Stream<Path> top = Files.list(unpacked)) {
      List<Path> entries = top.toList();
      assertEquals(1, entries.size(), "one directory at the archive's top: " + entries);
      Path home = entries.get(0);
      assertTrue(Files.isExecutable(home.resolve("bin/lobby")), "bin/lobby is executable");
      return home;
    }
  }

  private void readLog(Process process) {
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader lines =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                  log.add(line);
                }
              } catch (IOException ended) {
                // the process is gone
              }
            },
            "bin-lobby-output");
    reader.setDaemon(true);
    reader.start();
  }

  private Matcher awaitLine(Pattern pattern, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < deadline) {
      for (String line : log) {
        Matcher matcher = pattern.matcher(line);
        if (matcher.find()) {
          return matcher;
        }
      }
      if (!server.isAlive()) {
        Thread.sleep(200); // the last lines
        for (String line : log) {
          Matcher matcher = pattern.matcher(line);
          if (matcher.find()) {
            return matcher;
          }
        }
        throw new AssertionError(
            "bin/lobby exited ("
                + server.exitValue()
                + ") without logging "
                + pattern
                + ":\n"
                + String.join("\n", log));
      }
      Thread.sleep(100);
    }
    throw new AssertionError(
        "no line " + pattern + " within " + seconds + " s:\n" + String.join("\n", log));
  }

  private static HttpResponse<String> get(int port, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static int awaitStatus(int port, String path, int wanted, int seconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    int status = get(port, path).statusCode();
    while (status != wanted && System.nanoTime() < deadline) {
      Thread.sleep(200);
      status = get(port, path).statusCode();
    }
    return status;
  }

  /** A JSON-mode session through the JDK's WebSocket client. */
  private static final class Session implements WebSocket.Listener {
    final CompletableFuture<String> first = new CompletableFuture<>();
    final CompletableFuture<Integer> closeCode = new CompletableFuture<>();
    private final StringBuilder text = new StringBuilder();

    static Session open(int port, String room) throws Exception {
      Session session = new Session();
      HTTP.newWebSocketBuilder()
          .subprotocols("lobby.v1.json")
          .buildAsync(URI.create("ws://127.0.0.1:" + port + "/" + room), session)
          .get(20, TimeUnit.SECONDS);
      return session;
    }

    @Override
    public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        first.complete(text.toString());
        text.setLength(0);
      }
      socket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
      closeCode.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket socket, Throwable error) {
      closeCode.completeExceptionally(error);
    }
  }
}
