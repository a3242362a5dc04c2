package io.herald.browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.herald.PerClassGateway;
import io.herald.TestGateway;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the gateway serves for the browser client and the demo page, as plain HTTP. */
class ClientAssetsTest {
  static TestGateway gw;
  @RegisterExtension
  static final PerClassGateway GATEWAY = new PerClassGateway(g -> gw = g);

  // herald.js is JavaScript any origin may import (a module script from another origin needs CORS).
  @Test
  void heraldJsIsAModuleOtherOriginsMayImport() {
    HttpResponse<Buffer> r = gw.get("/herald.js", null);
    assertEquals(200, r.statusCode());
    assertTrue(r.getHeader("Content-Type").startsWith("text/javascript") || r.getHeader("Content-Type").startsWith("application/javascript"),
        r.getHeader("Content-Type"));
    assertEquals("*", r.getHeader("Access-Control-Allow-Origin"));
    assertTrue(r.bodyAsString().contains("export class Herald"));
  }

  // herald-bell.js is served like herald.js (any origin, JavaScript, the same caching) and imports
  // herald.js relatively, so a page that loads it from the gateway gets the client from there too.
  @Test
  void heraldBellJsIsServedLikeHeraldJs() {
    HttpResponse<Buffer> client = gw.get("/herald.js", null);
    HttpResponse<Buffer> bell = gw.get("/herald-bell.js", null);
    assertEquals(200, bell.statusCode());
    assertTrue(bell.getHeader("Content-Type").startsWith("text/javascript") || bell.getHeader("Content-Type").startsWith("application/javascript"),
        bell.getHeader("Content-Type"));
    assertEquals("*", bell.getHeader("Access-Control-Allow-Origin"));
    assertNotNull(bell.getHeader("Cache-Control"));
    assertEquals(client.getHeader("Cache-Control"), bell.getHeader("Cache-Control"));
    assertTrue(bell.getHeader("Cache-Control").contains("max-age=300"), bell.getHeader("Cache-Control"));
    String source = bell.bodyAsString();
    assertTrue(source.contains("import { Herald, safeUrl, timeAgo } from './herald.js';"), "imports the client relatively");
    assertTrue(source.contains("customElements.define('herald-bell'"), "defines <herald-bell>");
    assertFalse(Pattern.compile("^import .* from '(?!\\./herald\\.js')", Pattern.MULTILINE).matcher(source).find(), "no other dependency");

    // only these two files are open to other origins, not whatever else lies in webroot/
    assertEquals(404, gw.get("/herald-bell.jsx", null).statusCode());
    assertNull(gw.get("/demo/demo.js", null).getHeader("Access-Control-Allow-Origin"));
  }

  // /demo redirects to /demo/, which is the page under the same-origin Content-Security-Policy.
  @Test
  void demoRedirectsToThePageUnderItsPolicy() {
    HttpResponse<Buffer> redirect = TestGateway.await(gw.http.get(gw.port, "127.0.0.1", "/demo").followRedirects(false).send());
    assertEquals(302, redirect.statusCode());
    assertEquals("/demo/", redirect.getHeader("Location"));

    HttpResponse<Buffer> page = gw.get("/demo/", null);
    assertEquals(200, page.statusCode());
    assertTrue(page.getHeader("Content-Type").startsWith("text/html"), page.getHeader("Content-Type"));
    String policy = page.getHeader("Content-Security-Policy");
    assertNotNull(policy);
    assertTrue(policy.contains("script-src 'self'") && policy.contains("style-src 'self'"), policy);
    assertEquals("nosniff", page.getHeader("X-Content-Type-Options"));
    assertNull(page.getHeader("Access-Control-Allow-Origin"), "the page itself is not for other origins");

    for (String[] asset : new String[][] {{"/demo/demo.js", "javascript"}, {"/demo/demo.css", "text/css"}}) {
      HttpResponse<Buffer> r = gw.get(asset[0], null);
      assertEquals(200, r.statusCode(), asset[0]);
      assertTrue(r.getHeader("Content-Type").contains(asset[1]), asset[0] + ": " + r.getHeader("Content-Type"));
    }
  }

  // The policy allows no inline script, style or handler: the page must carry none, or it breaks.
  @Test
  void thePageHasNothingInlineThePolicyWouldBlock() {
    String html = gw.get("/demo/", null).bodyAsString();
    assertFalse(Pattern.compile("<script(?![^>]*\\bsrc=)[^>]*>", Pattern.CASE_INSENSITIVE).matcher(html).find(), "inline <script>");
    assertFalse(Pattern.compile("<style", Pattern.CASE_INSENSITIVE).matcher(html).find(), "<style> block");
    assertFalse(Pattern.compile("\\sstyle=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "style attribute");
    assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(html).find(), "inline event handler");
  }
}
