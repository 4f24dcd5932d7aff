# syntax=docker/dockerfile:1
# The gateway only: in a container the database is external (CCI_DATABASE_URL is required).

FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /srv/cci
RUN python -m venv /opt/venv
COPY pyproject.toml README.md ./
COPY app ./app
COPY cci ./cci
COPY cci_common ./cci_common
COPY mock_spine ./mock_spine
RUN /opt/venv/bin/pip install . && /opt/venv/bin/pip uninstall --yes cci-gateway

FROM python:3.12-slim AS runtime
RUN groupadd --system cci && useradd --system --gid cci --home /srv/cci cci
# The venv holds the dependencies only; the code runs from /srv/cci so that
# app/migrations.py finds alembic/ beside the packages, as in a checkout.
ENV PATH=/opt/venv/bin:$PATH PYTHONPATH=/srv/cci PYTHONUNBUFFERED=1 \
    CCI_ENVIRONMENT=production CCI_HOST=0.0.0.0 CCI_PORT=8000 CCI_LOG_JSON=true
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/cci
COPY alembic.ini ./
COPY alembic ./alembic
COPY app ./app
COPY cci ./cci
COPY cci_common ./cci_common
COPY mock_spine ./mock_spine
USER cci
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/_ping', timeout=2).status != 200)"
CMD ["sh", "-c", "test -n \"$CCI_DATABASE_URL\" || { echo 'CCI_DATABASE_URL is required' >&2; exit 64; }; exec python -m cci.main serve --no-spine"]
