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
}
