package io.herald.auth;

import java.util.Set;

/** Who is calling: an application with an API key and scopes, or an end user from a JWT with roles. */
public record Principal(Kind kind, String name, Set<String> scopes, Set<String> roles) {
  public enum Kind { APP, USER }

  public static Principal app(String name, Set<String> scopes) {
    return new Principal(Kind.APP, name, scopes, Set.of());
  }

  public static Principal user(String userId, Set<String> roles) {
    return new Principal(Kind.USER, userId, Set.of(), roles);
  }

  public boolean isUser() {
    return kind == Kind.USER;
  }

  public boolean hasScope(String scope) {
    return kind == Kind.APP && scopes.contains(scope);
  }
}
