package io.herald.browser;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A real headless Chromium driven over the DevTools protocol, for tests of the pages the gateway
 * serves. No driver library: the browser is started with {@code --remote-debugging-port=0}, the
 * port it picked is read from {@code DevToolsActivePort}, and commands go over one WebSocket (each
 * tab is a target attached in "flat" mode and addressed by its session id).
 *
 * <p>The browser comes from {@code $CHROMIUM} or the usual install paths; Debian's package is
 * {@code chromium} ({@code .ci/run} installs it). Tests call {@link #find()} and skip with
 * {@link #MISSING} when there is none.
 */
public final class Chromium implements AutoCloseable {
  public static final String MISSING = "no Chromium on this machine (set CHROMIUM=/path/to/chromium, or: apt-get install chromium); "
      + ".ci/run installs it, so CI always runs this test";

  private final Process process;
  private final Path profile;
  private final WebSocket socket;
  private final AtomicInteger ids = new AtomicInteger();
  private final Map<Integer, CompletableFuture<JsonObject>> pending = new ConcurrentHashMap<>();
  private final Map<String, Page> pages = new ConcurrentHashMap<>();

  private Chromium(Process process, Path profile, URI devtools) throws Exception {
    this.process = process;
    this.profile = profile;
    this.socket = HttpClient.newHttpClient().newWebSocketBuilder().buildAsync(devtools, new Listener()).get(10, TimeUnit.SECONDS);
  }

  /** The browser binary, if this machine has one. */
  public static Optional<Path> find() {
    String configured = System.getenv("CHROMIUM");
    Stream<String> candidates = Stream.concat(configured == null ? Stream.empty() : Stream.of(configured),
        Stream.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"));
    return candidates.map(Path::of).filter(Files::isExecutable).findFirst();
  }

  /** Starts a headless browser with a fresh profile. */
  public static Chromium launch(Path binary) throws Exception {
    Path profile = Files.createTempDirectory("herald-chromium");
    Process process = new ProcessBuilder(binary.toString(), "--headless=new", "--no-sandbox", "--disable-gpu",
        "--disable-dev-shm-usage", "--disable-background-networking", "--disable-extensions", "--no-first-run",
        "--no-default-browser-check", "--mute-audio", "--window-size=1280,900", "--remote-debugging-port=0",
        "--remote-allow-origins=*", "--user-data-dir=" + profile, "about:blank")
        .redirectErrorStream(true).redirectOutput(profile.resolve("chromium.log").toFile()).start();
    Path active = profile.resolve("DevToolsActivePort");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!(Files.exists(active) && Files.readAllLines(active).size() >= 2)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("Chromium did not start: " + Files.readString(profile.resolve("chromium.log")));
      }
      Thread.sleep(50);
    }
    List<String> lines = Files.readAllLines(active);
    return new Chromium(process, profile, URI.create("ws://127.0.0.1:" + lines.get(0).trim() + lines.get(1).trim()));
  }

  /** Opens a new tab (1280×900) at {@code url} and waits until it has loaded. */
  public Page open(String url) {
    String target = call("Target.createTarget", new JsonObject().put("url", "about:blank"), null).getString("targetId");
    String session = call("Target.attachToTarget", new JsonObject().put("targetId", target).put("flatten", true), null)
        .getString("sessionId");
    Page page = new Page(target, session);
    pages.put(session, page);
    page.call("Runtime.enable", new JsonObject());
    page.call("Page.enable", new JsonObject());
    page.call("Log.enable", new JsonObject()); // CSP violations, failed loads and sockets show only here
    page.call("Emulation.setDeviceMetricsOverride", new JsonObject().put("width", 1280).put("height", 900)
        .put("deviceScaleFactor", 1).put("mobile", false));
    page.navigate(url);
    return page;
  }

  JsonObject call(String method, JsonObject params, String session) {
    int id = ids.incrementAndGet();
    CompletableFuture<JsonObject> answer = new CompletableFuture<>();
    pending.put(id, answer);
    JsonObject command = new JsonObject().put("id", id).put("method", method).put("params", params);
    if (session != null) {
      command.put("sessionId", session);
    }
    synchronized (socket) {
      socket.sendText(command.encode(), true).join();
    }
    try {
      JsonObject reply = answer.get(30, TimeUnit.SECONDS);
      if (reply.containsKey("error")) {
        throw new IllegalStateException(method + ": " + reply.getJsonObject("error").encode());
      }
      return reply.getJsonObject("result", new JsonObject());
    } catch (IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(method + " got no answer", e);
    } finally {
      pending.remove(id);
    }
  }

  @Override
  public void close() throws IOException {
    try {
      socket.sendText(new JsonObject().put("id", ids.incrementAndGet()).put("method", "Browser.close").encode(), true);
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (Exception ignored) {
      // killed below
    }
    process.destroyForcibly();
    try (Stream<Path> files = Files.walk(profile)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** Collects the (possibly fragmented) frames of each message, then routes answers and events. */
  private final class Listener implements WebSocket.Listener {
    private final StringBuilder text = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      text.append(data);
      if (last) {
        JsonObject message = new JsonObject(text.toString());
        text.setLength(0);
        if (message.containsKey("id")) {
          CompletableFuture<JsonObject> answer = pending.get(message.getInteger("id"));
          if (answer != null) {
            answer.complete(message);
          }
        } else if (message.containsKey("sessionId")) {
          Page page = pages.get(message.getString("sessionId"));
          if (page != null) {
            page.event(message.getString("method"), message.getJsonObject("params", new JsonObject()));
          }
        }
      }
      ws.request(1);
      return null;
    }
  }

  /** One tab. Scripts run in the page as if typed into its console. */
  public final class Page {
    private final String target;
    private final String session;
    private final List<String> problems = new ArrayList<>();
    private final List<java.util.regex.Pattern> expected = new ArrayList<>();

    private Page(String target, String session) {
      this.target = target;
      this.session = session;
    }

    JsonObject call(String method, JsonObject params) {
      return Chromium.this.call(method, params, session);
    }

    private void event(String method, JsonObject params) {
      if ("Runtime.exceptionThrown".equals(method)) {
        JsonObject details = params.getJsonObject("exceptionDetails", new JsonObject());
        JsonObject exception = details.getJsonObject("exception");
        record("uncaught: " + (exception != null ? exception.getString("description") : details.getString("text")));
      } else if ("Runtime.consoleAPICalled".equals(method) && "error".equals(params.getString("type"))) {
        record("console.error: " + params.getJsonArray("args").encode());
      } else if ("Log.entryAdded".equals(method)) {
        JsonObject entry = params.getJsonObject("entry", new JsonObject());
        String url = entry.getString("url");
        // the browser asks every origin for /favicon.ico on its own; a page that has none is not at fault
        boolean favicon = url != null && url.endsWith("/favicon.ico");
        if ("error".equals(entry.getString("level")) && !favicon) {
          record("log (" + entry.getString("source") + "): " + entry.getString("text") + (url == null ? "" : " [" + url + "]"));
        }
      }
    }

    private void record(String problem) {
      synchronized (problems) {
        problems.add(problem);
      }
    }

    /**
     * Uncaught exceptions, console errors and the browser's own error log entries (CSP violations,
     * failed loads and sockets) the page has had so far, but for those a test said to expect.
     */
    public List<String> problems() {
      synchronized (problems) {
        return problems.stream().filter(p -> expected.stream().noneMatch(e -> e.matcher(p).find())).toList();
      }
    }

    /** From now on problems matching {@code regex} are expected (a test that breaks the network on purpose). */
    public void expectProblems(String regex) {
      synchronized (problems) {
        expected.add(java.util.regex.Pattern.compile(regex));
      }
    }

    /** Loads {@code url} in this tab and waits for the load event. */
    public void navigate(String url) {
      call("Page.navigate", new JsonObject().put("url", url));
      waitFor("document.readyState === 'complete' && location.href !== 'about:blank'", "the page " + url + " to load", 20);
    }

    /** Reloads the tab and waits for the load event. */
    public void reload() {
      eval("window.__heraldReloading = true");
      call("Page.reload", new JsonObject());
      waitFor("document.readyState === 'complete' && !window.__heraldReloading", "the page to reload", 20);
    }

    /** Runs {@code script} (an expression; a promise is awaited) and returns its value as JSON types. */
    public Object eval(String script) {
      JsonObject result = call("Runtime.evaluate", new JsonObject().put("expression", script)
          .put("awaitPromise", true).put("returnByValue", true));
      if (result.containsKey("exceptionDetails")) {
        JsonObject details = result.getJsonObject("exceptionDetails");
        JsonObject exception = details.getJsonObject("exception");
        throw new AssertionError("script failed: " + script + "\n  "
            + (exception != null ? exception.getString("description") : details.getString("text")));
      }
      return result.getJsonObject("result", new JsonObject()).getValue("value");
    }

    /** Waits until {@code condition} (a script) is truthy; fails naming {@code what} and showing the page's text. */
    public void waitFor(String condition, String what, int seconds) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      Object value = null;
      while (System.nanoTime() < deadline) {
        try {
          value = eval("!!(" + condition + ")");
        } catch (AssertionError | IllegalStateException e) {
          value = e.getMessage(); // the page may be between documents
        }
        if (Boolean.TRUE.equals(value)) {
          return;
        }
        try {
          Thread.sleep(100);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted waiting for " + what);
        }
      }
      Object text;
      try {
        text = eval("document.body ? document.body.innerText.slice(0, 2000) : '(no body)'");
      } catch (RuntimeException | AssertionError e) {
        text = "(unreadable: " + e.getMessage() + ")";
      }
      throw new AssertionError("gave up after " + seconds + " s waiting for " + what + " (last: " + value + ")\npage text:\n"
          + text + "\nproblems: " + problems());
    }

    /** Clicks the first element matching {@code selector}, failing when there is none. */
    public void click(String selector) {
      eval("(() => { const el = document.querySelector(" + quote(selector) + "); if (!el) throw new Error('nothing matches "
          + selector.replace("'", "\\'") + "'); el.click(); return true; })()");
    }

    /** Types {@code value} into the input matching {@code selector} (as a user would, firing input and change). */
    public void type(String selector, String value) {
      eval("(() => { const el = document.querySelector(" + quote(selector) + "); if (!el) throw new Error('nothing matches "
          + selector.replace("'", "\\'") + "'); el.focus(); el.value = " + quote(value)
          + "; el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true}));"
          + " return true; })()");
    }

    /** The text of the first element matching {@code selector}, or null. */
    public String text(String selector) {
      Object value = eval("(() => { const el = document.querySelector(" + quote(selector) + "); return el ? el.innerText : null; })()");
      return value == null ? null : value.toString();
    }

    /** Saves a PNG of the visible page (full height) to {@code file}. */
    public void screenshot(Path file) throws IOException {
      JsonObject shot = call("Page.captureScreenshot", new JsonObject().put("format", "png").put("captureBeyondViewport", true));
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.write(file, Base64.getDecoder().decode(shot.getString("data")));
    }

    /** Closes this tab. */
    public void close() {
      pages.remove(session);
      Chromium.this.call("Target.closeTarget", new JsonObject().put("targetId", target), null);
    }
  }

  /** A JavaScript string literal for {@code s}. */
  public static String quote(String s) {
    return new io.vertx.core.json.JsonArray().add(s).encode().replaceAll("^\\[|\\]$", "");
  }
}
