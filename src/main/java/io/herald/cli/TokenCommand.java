package io.herald.cli;

import io.herald.auth.Jwt;
import io.herald.auth.Pem;
import io.herald.config.Durations;
import io.herald.config.HeraldConfig;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code token}: prints a user JWT signed with the configured key, for trying things out. */
@Command(name = "token", description = "Print a user JWT signed with the configured secret (for trying things out).")
final class TokenCommand implements Callable<Integer> {
  @Mixin
  ConfigOption conf;

  @Option(names = "--user", required = true, paramLabel = "U", description = "user id (the token's sub)")
  String user;

  @Option(names = "--roles", split = ",", paramLabel = "a,b", description = "roles, comma-separated")
  String[] roles = new String[0];

  @Option(names = "--ttl", paramLabel = "DURATION", description = "lifetime, e.g. 1h, 30m (default ${DEFAULT-VALUE})", defaultValue = "12h")
  String ttl;

  @Option(names = "--private-key", paramLabel = "FILE", description = "PKCS#8 PEM private key, needed for RS256 and ES256")
  Path privateKey;

  @Override
  public Integer call() {
    HeraldConfig.Jwt jwt = conf.load().auth().jwt();
    long now = Instant.now().getEpochSecond();
    JsonObject claims = new JsonObject().put("sub", user).put("roles", new JsonArray(Arrays.asList(roles)))
        .put("iat", now).put("exp", now + Durations.parse("--ttl", ttl).toSeconds());
    if (jwt.issuer() != null) {
      claims.put("iss", jwt.issuer());
    }
    if (jwt.audience() != null) {
      claims.put("aud", jwt.audience());
    }
    PrivateKey key = null;
    if (!jwt.algorithm().equals("HS256")) {
      if (privateKey == null) {
        System.err.println("herald: auth.jwt.algorithm is " + jwt.algorithm() + ": pass --private-key FILE (PKCS#8 PEM)");
        return 2;
      }
      key = Pem.privateKey(jwt.algorithm(), privateKey.toString());
    }
    System.out.println(Jwt.sign(jwt.algorithm(), jwt.secret(), key, claims));
    return 0;
  }
}
