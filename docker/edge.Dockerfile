# syntax=docker/dockerfile:1.7
#
# Financy edge: chat intake (dev chat, Telegram, WhatsApp), understanding, speech and OCR workers.
#   docker build -f docker/edge.Dockerfile -t ghcr.io/financy/financy-edge:0.1.0 .
# Build context: the repository root (.dockerignore keeps var/, virtualenvs, .git and secrets out).
# Processes: financy edge run | worker --data-dir /var/lib/financy, financy edge enroll, financy models.
#
# Models: Whisper tiny.en and base (two parts, joined on first use into FINANCY_MODELS_DIR), Vosk's
# Korean model and PP-OCRv5 come in the pinned PyPI packages of the speech and vision extras;
# Tesseract's data in the Debian packages below (models/manifest.toml pins every file's sha256). Any
# other model goes into the volume: `financy models pull NAME --from URL|DIR` (nothing is downloaded
# at run time otherwise), or mount a directory and set FINANCY_MODELS__<NAME>_PATH.
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
 && pip wheel --only-binary=:all: --wheel-dir /wheels \
      "/wheels/financy-0.1.0-py3-none-any.whl[edge,inference,speech,vision]"

# ---- runtime ------------------------------------------------------------------------------------
FROM python:3.11.14-slim-bookworm AS runtime
LABEL org.opencontainers.image.title="financy-edge" \
      org.opencontainers.image.description="Financy edge: chat intake, speech-to-text, receipt OCR" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="AGPL-3.0-or-later"

# Tesseract 5.3 with its Portuguese and English data. The versions are pinned because
# models/manifest.toml pins the sha256 of these packages' traineddata files: another build of them
# would be refused at load.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr=5.3.0-2 tesseract-ocr-por=1:4.1.0-2 tesseract-ocr-eng=1:4.1.0-2 \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 financy \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/financy --no-create-home \
      --shell /usr/sbin/nologin financy \
 && install -d -o financy -g financy -m 0750 /var/lib/financy /var/lib/financy/models \
 && install -d -o root -g root -m 0755 /opt/financy/models

# The wheels are bind-mounted from the builder: they are installed, never copied into a layer.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links=/wheels \
      "financy[edge,inference,speech,vision]==0.1.0" \
 && /opt/venv/bin/pip uninstall --yes pip

COPY --chown=root:root models/manifest.toml /opt/financy/models/manifest.toml

# No secret is set here: bot tokens, Redis and S3 credentials come at run time (or from the
# DATA_DIR/edge.env that `financy edge enroll` writes into the volume, mode 0600).
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
EXPOSE 8081

# For `edge run`; edge workers are probed with: financy healthcheck --queue --data-dir /var/lib/financy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["financy", "healthcheck", "http://127.0.0.1:8081/healthz", "--timeout", "3"]

ENTRYPOINT ["financy"]
CMD ["edge", "run", "--data-dir", "/var/lib/financy"]
