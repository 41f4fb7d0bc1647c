# Production image: one image for web (gunicorn), worker and beat; see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    GASSERVICE_VAR_DIR=/app/var

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# The zh-Hans catalogue and the static files are built into the image.
RUN DEBUG=False SECRET_KEY=image-build-only python manage.py compilemessages -i .venv -i var -v0 \
    && DEBUG=False SECRET_KEY=image-build-only python manage.py collectstatic --noinput -v0 \
    && rm -f var/db.sqlite3 \
    && useradd --system --uid 10001 --home-dir /app gasservice \
    && mkdir -p var/media \
    && chown -R gasservice var

USER gasservice
ENV DEBUG=False
EXPOSE 8000

# Health checks are per service in docker-compose.yml (web, worker and beat share this image).
CMD ["gunicorn", "gasservice.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "--timeout", "30"]
