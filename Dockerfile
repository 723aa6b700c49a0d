# qr-refresher container image.
#   docker build -t qr-refresher .
#   docker run -p 8080:8080 -p 9876:9876 qr-refresher            (demo mode: embedded PostgreSQL + simulator)
# Build stage: Maven on JDK 17 builds the one runnable jar.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /build
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY routes routes
COPY application.properties .
RUN mvn -B -q -DskipTests package

# Run stage: a JRE 17, a non-root user, the jar; routes and properties come from the jar unless mounted in /app.
FROM eclipse-temurin:17-jre
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 qr \
    && useradd --system --uid 10001 --gid qr --home-dir /app --shell /usr/sbin/nologin qr \
    && mkdir -p /app/data && chown -R qr:qr /app
WORKDIR /app
COPY --from=build --chown=qr:qr /build/target/qr-refresher.jar /app/qr-refresher.jar
USER qr
# JVM sized from the container's memory limit; a JVM out of memory exits so that the orchestrator restarts it.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    HTTP_PORT=8080 \
    MANAGEMENT_PORT=9876 \
    EMBEDDED_POSTGRES_DATA_DIR=/app/data
EXPOSE 8080 9876
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD curl -fsS "http://127.0.0.1:${MANAGEMENT_PORT}/observe/health/ready" > /dev/null || exit 1
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/qr-refresher.jar"]
