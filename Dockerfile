# qr-refresher container image.
#   docker build -t qr-refresher .
#   docker run -p 8080:8080 -p 9876:9876 qr-refresher            (demo mode: embedded PostgreSQL + simulator)
#   docker run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges ...   (how compose runs it)
# Base images are exact versions: change them on purpose.

# Build stage: Maven on JDK 17 builds the one runnable jar, with embedded PostgreSQL for this image's Linux
# architecture only (the container profile; a jar built with plain `mvn package` keeps every platform's).
FROM maven:3.9.11-eclipse-temurin-17 AS build
ARG TARGETARCH=amd64
WORKDIR /build
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY routes routes
COPY application.properties .
RUN if [ "$TARGETARCH" = "arm64" ]; then other=linux-amd64; else other=linux-arm64v8; fi \
    && mvn -B -q -DskipTests -Pcontainer \
       -Dcontainer.other-arch=io.zonky.test.postgres:embedded-postgres-binaries-$other package

# Run stage: a JRE 17 and the jar, nothing else (no curl, no package manager run); a non-root user.
FROM eclipse-temurin:17.0.16_8-jre
RUN groupadd --system --gid 10001 qr \
    && useradd --system --uid 10001 --gid qr --home-dir /app --shell /usr/sbin/nologin qr \
    && mkdir -p /app/data && chown -R qr:qr /app
WORKDIR /app
COPY --from=build --chown=qr:qr /build/target/qr-refresher.jar /app/qr-refresher.jar
USER 10001:10001
# JVM sized from the container's memory limit; a JVM out of memory exits so that the orchestrator restarts it.
# The service writes only to /tmp (java.io.tmpdir): a read-only root needs a tmpfs there. EMBEDDED_POSTGRES_DATA_DIR
# is written in demo mode only.
ENV JAVA_OPTS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError" \
    HTTP_PORT=8080 \
    MANAGEMENT_PORT=9876 \
    EMBEDDED_POSTGRES_DATA_DIR=/app/data
EXPOSE 8080 9876
# readiness over bash's /dev/tcp: no HTTP client in the image
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${MANAGEMENT_PORT} && printf 'GET /observe/health/ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar /app/qr-refresher.jar"]
