package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One headless Chromium for a test class ({@code @RegisterExtension static final BrowserTabs TABS =
 * new BrowserTabs();}): the class is skipped, saying why, when no browser is installed; every tab
 * opened through {@link #open} must end its test without uncaught page errors, and is closed after it.
 */
final class BrowserTabs implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {
  private Chromium chrome;
  private final List<Chromium.Page> pages = new ArrayList<>();
  private final List<AutoCloseable> afterPages = new ArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Assumptions.assumeTrue(Chromium.find().isPresent(), Chromium.MISSING);
    chrome = Chromium.launch(Chromium.find().orElseThrow());
  }

  /** A new tab at {@code url}, checked and closed after the test. */
  Chromium.Page open(String url) {
    Chromium.Page page = chrome.open(url);
    pages.add(page);
    return page;
  }

  /** Closes {@code resource} (a stand-in server, say) after this test's tabs have been checked and closed. */
  <T extends AutoCloseable> T closeAfterTabs(T resource) {
    afterPages.add(resource);
    return resource;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      for (Chromium.Page page : pages) {
        assertEquals(List.of(), page.problems(), "the page had uncaught errors");
      }
    } finally {
      pages.forEach(Chromium.Page::close);
      pages.clear();
      for (AutoCloseable resource : afterPages) {
        resource.close();
      }
      afterPages.clear();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (chrome != null) {
      chrome.close();
    }
  }

  /** How many times the page's client dialled the server (the page counts them in a global {@code dials}). */
  static int dials(Chromium.Page page) {
    return ((Number) page.eval("dials")).intValue();
  }

  /** Waits {@code ms}, to see that something does NOT happen (the client stays quiet). */
  static void quietFor(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
