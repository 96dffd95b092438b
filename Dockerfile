# syntax=docker/dockerfile:1

# ---- builder ---------------------------------------------------------------
# The crates vendor SQLite, libpq and OpenSSL, so the build needs a C toolchain,
# perl and make: all present in the rust image.
FROM rust:1-bookworm AS builder
WORKDIR /build

COPY . .
RUN cargo build --release --locked --bin real-dq \
 && install -m 0755 target/release/real-dq /usr/local/bin/real-dq

# ---- runtime ---------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 realdq \
 && useradd --system --uid 10001 --gid realdq --home-dir /app --no-create-home --shell /usr/sbin/nologin realdq \
 && install -d -o realdq -g realdq -m 0750 /app

COPY --from=builder /usr/local/bin/real-dq /usr/local/bin/real-dq
# Code sets, schemas and migrations are embedded in the binary.

WORKDIR /app
USER realdq:realdq
ENV REALDQ_BIND=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["real-dq"]
CMD ["serve"]
