package io.github.lobby.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What {@link LoadGen} reads of the server it loads: its {@code /health} and its process. */
final class ServerFigures {

  private ServerFigures() {}

  /** The two figures of {@code /health}. */
  record JsonHealth(int sessions, int rooms) {
    static JsonHealth parse(String body) {
      return new JsonHealth(field(body, "sessions"), field(body, "rooms"));
    }

    private static int field(String body, String name) {
      int at = body.indexOf("\"" + name + "\":") + name.length() + 3;
      int end = at;
      while (end < body.length() && Character.isDigit(body.charAt(end))) {
        end++;
      }
      return Integer.parseInt(body.substring(at, end));
    }
  }

  /** CPU time and resident memory of a process (or several: {@code --pid a,b}), from /proc. */
  record ProcessStats(double cpuSeconds, long rss) {
    static ProcessStats read(String pids) {
      if (pids == null) {
        return null;
      }
      double cpu = 0;
      long rss = 0;
      for (String pid : pids.split(",")) {
        try {
          String stat = Files.readString(Path.of("/proc", pid.strip(), "stat"));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
          cpu += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime + stime
          for (String line : Files.readAllLines(Path.of("/proc", pid.strip(), "status"))) {
            if (line.startsWith("VmRSS:")) {
              rss += Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
          }
        } catch (IOException e) {
          return null;
        }
      }
      return new ProcessStats(cpu, rss);
    }
  }

  /**
   * The live heap of a process (the first of {@code pids}) in bytes: a full GC through the JDK's
   * {@code jcmd}, then the used sizes of {@code jstat -gc}; -1 when either tool fails.
   */
  static long liveHeap(String pids) {
    if (pids == null) {
      return -1;
    }
    String pid = pids.split(",")[0].strip();
    Path bin = Path.of(System.getProperty("java.home"), "bin");
    try {
      run(bin.resolve("jcmd").toString(), pid, "GC.run");
      String[] lines = run(bin.resolve("jstat").toString(), "-gc", pid).strip().split("\n");
      String[] names = lines[0].strip().split("\\s+");
      String[] values = lines[lines.length - 1].strip().split("\\s+");
      double kb = 0;
      for (int i = 0; i < names.length && i < values.length; i++) {
        if (java.util.Set.of("S0U", "S1U", "EU", "OU").contains(names[i])) {
          kb += Double.parseDouble(values[i].replace(',', '.'));
        }
      }
      return (long) (kb * 1024);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static String run(String... command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    return out;
  }
}
