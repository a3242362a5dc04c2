package io.herald.ops;

import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;

/**
 * The browser side served by the gateway itself, from {@code webroot/} on the classpath, with no
 * build step: the operators' dashboard at {@code /dashboard/}, the browser client at
 * {@code /herald.js}, the {@code <herald-bell>} element built on it at {@code /herald-bell.js}, and
 * the notification-bell demo at {@code /demo/}.
 *
 * <p>The pages hold no secrets (the dashboard asks for an admin key, the demo for a user token), so
 * they are public like {@code /health/live}. They are locked to their own origin by a
 * Content-Security-Policy; {@code herald.js} and {@code herald-bell.js} alone may be imported by
 * pages of other origins (an application's own pages load them from the gateway), so they carry
 * {@code Access-Control-Allow-Origin: *}.
 */
public final class WebRoot {
  /** Same-origin scripts, styles and images only; sockets and API calls to this gateway. */
  static final String PAGE_POLICY = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
      + "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

  /** Files under {@code root} on the classpath. */
  private static StaticHandler files(String root) {
    return StaticHandler.create(root)
        .setIndexPage("index.html")
        .setDirectoryListing(false)
        // a new gateway version must reach browsers soon: revalidate after five minutes
        .setMaxAgeSeconds(300);
  }

  public void mount(Router router) {
    for (String page : new String[] {"/dashboard", "/demo"}) {
      // a Vert.x route path also matches itself with a trailing slash: only the bare path redirects
      router.get(page).handler(ctx -> {
        if (ctx.request().path().endsWith("/")) {
          ctx.next();
        } else {
          ctx.redirect(page + "/");
        }
      });
      // a "/page/*" route hands the static handler the path after its prefix: each page has its own root
      router.get(page + "/*").handler(WebRoot::pageHeaders).handler(files("webroot" + page));
    }
    // a regex route hands the static handler the whole path (an exact one would hand it nothing)
    router.getWithRegex("/herald(-bell)?\\.js").handler(ctx -> {
      ctx.response().putHeader("Access-Control-Allow-Origin", "*");
      ctx.next();
    }).handler(files("webroot"));
  }

  private static void pageHeaders(RoutingContext ctx) {
    ctx.response()
        .putHeader("Content-Security-Policy", PAGE_POLICY)
        .putHeader("X-Content-Type-Options", "nosniff")
        .putHeader("Referrer-Policy", "no-referrer");
    ctx.next();
  }
}
