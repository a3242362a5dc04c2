package io.herald.bench;

/**
 * The stamp a delivery scenario puts in a notification's title, {@code bench t=<nanoTime> r=<run id>},
 * and finds again in whatever the provider receives (a JSON body, a form, an e-mail). The stand-in
 * provider runs in the bench process, so {@code nanoTime() - t} is ingest call to provider request.
 */
final class Marker {
  private static final String START = "bench t=";

  private Marker() {
  }

  static String title(long nanos, long runId) {
    return START + nanos + " r=" + runId;
  }

  /** The {@code t} of this run's stamp in {@code text}, or -1 when there is none (another run, or no stamp). */
  static long find(CharSequence text, long runId) {
    String s = text.toString();
    int at = s.indexOf(START);
    while (at >= 0) {
      int i = at + START.length();
      int tStart = i;
      if (i < s.length() && s.charAt(i) == '-') {
        i++; // nanoTime may be negative
      }
      while (i < s.length() && Character.isDigit(s.charAt(i))) {
        i++;
      }
      if (i > tStart && Character.isDigit(s.charAt(i - 1)) && s.startsWith(" r=", i)) {
        int rStart = i + 3;
        int j = rStart;
        while (j < s.length() && Character.isDigit(s.charAt(j))) {
          j++;
        }
        if (j > rStart && j - rStart <= 19 && Long.parseLong(s, rStart, j, 10) == runId) {
          return Long.parseLong(s, tStart, i, 10);
        }
      }
      at = s.indexOf(START, at + 1);
    }
    return -1;
  }
}
