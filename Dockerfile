# Build the jar first: mvn -q -DskipTests package
FROM eclipse-temurin:17-jre
WORKDIR /app
COPY target/herald.jar /app/herald.jar
COPY conf/ /app/conf/
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=70", "-jar", "/app/herald.jar"]
