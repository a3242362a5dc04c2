package io.herald.auth;

import io.herald.HeraldException;
import io.herald.config.HeraldConfig;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;

/**
 * Turns an {@code Authorization: Bearer ...} credential into a {@link Principal}: a JWT (three
 * dot-separated parts) for end users, otherwise an API key for applications.
 */
public final class Authenticator {
  public static final String PRINCIPAL = "herald.principal";

  private final ApiKeys apiKeys;
  private final Jwt jwt;

  public Authenticator(HeraldConfig.Auth cfg, Clock clock) {
    this.apiKeys = new ApiKeys(cfg.apiKeys());
    this.jwt = new Jwt(cfg.jwt(), clock);
  }

  public Jwt jwt() {
    return jwt;
  }

  /** The bearer credential from the headers, or null. */
  public static String bearer(MultiMap headers) {
    String header = headers.get("Authorization");
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return header.substring(7).trim();
  }

  public Principal authenticate(String credential) {
    if (credential == null || credential.isEmpty()) {
      throw HeraldException.unauthorized("missing credentials: send Authorization: Bearer <api key or user token>");
    }
    if (credential.chars().filter(c -> c == '.').count() == 2) {
      try {
        return jwt.verify(credential);
      } catch (Jwt.Invalid e) {
        throw HeraldException.unauthorized("invalid token: " + e.getMessage());
      }
    }
    Principal app = apiKeys.find(credential);
    if (app == null) {
      throw HeraldException.unauthorized("unknown API key");
    }
    return app;
  }

  /** An application holding one of {@code scopes}; users and other keys get 403. */
  public Principal requireScope(RoutingContext ctx, String... scopes) {
    Principal p = authenticate(bearer(ctx.request().headers()));
    if (java.util.Arrays.stream(scopes).noneMatch(p::hasScope)) {
      String wanted = "'" + String.join("' or '", scopes) + "'";
      throw HeraldException.forbidden(p.isUser()
          ? "this endpoint is for applications with an API key holding the " + wanted + " scope"
          : "API key '" + p.name() + "' lacks the " + wanted + " scope");
    }
    ctx.put(PRINCIPAL, p);
    return p;
  }

  /** An end user with a valid JWT; API keys get 403. */
  public Principal requireUser(RoutingContext ctx) {
    Principal p = authenticate(bearer(ctx.request().headers()));
    if (!p.isUser()) {
      throw HeraldException.forbidden("this endpoint is for end users: send a user JWT, not an API key");
    }
    ctx.put(PRINCIPAL, p);
    return p;
  }
}
