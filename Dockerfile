# The consent platform behind gunicorn. Configure it through the environment (see README):
# SECRET_KEY and ALLOWED_HOSTS are required; REDIS_URL a shared Redis; DATABASE_URL points at PostgreSQL in production
# (the default is an SQLite file under /app/var, for a quick look only: mount a volume there,
# -v consent-var:/app/var, or the data goes with the container).
# The container applies migrations before it starts serving (MIGRATE_ON_START=1, the default). With
# several replicas, set MIGRATE_ON_START=0 and run them once per release instead:
#   docker run --rm --env-file .env IMAGE python manage.py migrate
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    MIGRATE_ON_START=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Production defaults: TLS ends at a proxy in front (one hop), plain HTTP is redirected, HSTS for a
# year. Throttles and sign-in lock-outs are shared through Redis: run one next to the app (see
# docs/operations.md) or point REDIS_URL elsewhere. `manage.py check --deploy` is clean with these.
ENV BEHIND_PROXY=1 \
    SECURE_SSL_REDIRECT=1 \
    SECURE_HSTS_SECONDS=31536000 \
    SECURE_HSTS_INCLUDE_SUBDOMAINS=1 \
    SECURE_HSTS_PRELOAD=1 \
    REDIS_URL=redis://redis:6379/0

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected (compressed, hashed names) at build time, owned by root and read-only
# for the app. The key given here exists only for this step and is not kept in the image.
RUN SECRET_KEY=build-only-not-a-secret DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python manage.py collectstatic --noinput \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/var \
    && chown app:app /app/var

USER app

EXPOSE 8000

# Healthy when /healthz answers 200 (the app is up, the database answers and is fully migrated). The request names the
# first allowed host, so that host checking accepts it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, sys, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; q = r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}); sys.exit(0 if r.urlopen(q, timeout=4).status == 200 else 1)"

# Workers: set WEB_CONCURRENCY (gunicorn reads it); threaded workers keep connections alive, as in
# bench/decisions.sh; the heartbeat file lives in memory. No access log: request paths can name subjects.
CMD ["sh", "-c", "if [ \"$MIGRATE_ON_START\" = 1 ]; then python manage.py migrate --no-input || exit 1; fi; \
exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 --worker-class gthread --threads 2 \
--worker-tmp-dir /dev/shm --timeout 30 --error-logfile -"]
