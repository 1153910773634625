# Remote Browser Streaming: Daphne serving the project, Debian's Chromium inside.
# docs/deploy.md describes running it behind a TLS proxy.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Chromium and chromedriver from Debian (a browser download by a tool fails offline).
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium chromium-driver fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

# Managed policies for every Chromium in the image: no downloads, extensions, file://
# or chrome:// pages (streaming/policies.py).
COPY streaming/chrome_policies.json /etc/chromium/policies/managed/rbs.json

RUN useradd --create-home --uid 10001 rbs
WORKDIR /app

COPY requirements/ requirements/
RUN pip install -r requirements/prod.txt

COPY --chown=rbs:rbs . .
# Static files are collected at build time and served by WhiteNoise.
RUN DEBUG=false SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput

USER rbs
ENV DEBUG=false \
    RBS_PROFILE_ROOT=/tmp \
    PORT=8000
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/health', timeout=4)"

# Migrations run at start so a fresh database works; Daphne serves HTTP and WebSockets.
CMD ["sh", "-c", "python manage.py migrate --noinput && exec daphne -b 0.0.0.0 -p \"$PORT\" --proxy-headers rbs_project.asgi:application"]
