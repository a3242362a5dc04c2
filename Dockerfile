# Build the jar first: mvn -q -DskipTests package
# then: docker build -t herald:0.1.0 .
FROM eclipse-temurin:17-jre

# A fixed numeric, unprivileged user: Kubernetes' runAsNonRoot can check a number, and
# k8s/deployment.yaml runs as the same uid/gid (10001).
RUN groupadd --system --gid 10001 herald \
 && useradd --system --uid 10001 --gid herald --home-dir /app --no-create-home --shell /usr/sbin/nologin herald

WORKDIR /app
# Owned by root and read-only for the process; the only writable place it needs is /tmp.
COPY target/herald.jar /app/herald.jar
COPY conf/herald.json conf/cluster.xml /app/conf/

USER 10001:10001
# 8080 HTTP (API, WebSocket, SockJS, health); 5701 Hazelcast (cluster.port);
# 5702 clustered event bus (cluster.eventBusPort, as the Kubernetes manifests set it)
EXPOSE 8080 5701 5702

# Heap at 70 % of the container's memory limit; exit (and be restarted) rather than limp on after an
# OutOfMemoryError; Vert.x's file cache under /tmp, which stays writable with a read-only root.
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-XX:+ExitOnOutOfMemoryError", "-Dvertx.cacheDirBase=/tmp/vertx-cache", "-jar", "/app/herald.jar"]
CMD ["serve", "--conf", "/app/conf/herald.json"]
