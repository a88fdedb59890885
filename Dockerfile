# syntax=docker/dockerfile:1
# One image for every Vitals process (ingest, query, realtime, workers, the `vitals` CLI);
# compose.yaml chooses the command. The build stage holds uv and its cache; the runtime
# stage gets only the application and its virtualenv.

# The browser SDK's bundles, which ingest serves at /sdk/vitals.js.
FROM node:20.19.2-bookworm-slim AS sdk
WORKDIR /sdk
COPY sdk/package.json sdk/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY sdk/ ./
RUN npm run build

FROM python:3.11.13-slim-bookworm AS build
# The same uv as scripts/provision.sh, so uv.lock is read exactly as it was written.
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lock file changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
# The project is installed editable, so migrations/ is found next to services/.
COPY services/ services/
COPY migrations/ migrations/
# UV_COMPILE_BYTECODE compiles the libraries; the project's own modules are compiled here,
# or every container start would compile them again (PYTHONDONTWRITEBYTECODE below).
RUN uv sync --frozen --no-dev \
    && /app/.venv/bin/python -m compileall -q services

FROM python:3.11.13-slim-bookworm
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /nonexistent vitals
WORKDIR /app
# Owned by root and read-only to the service user: a compromised process cannot alter code.
COPY --from=build /app /app
COPY --from=sdk /sdk/dist /app/sdk/dist
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER vitals
EXPOSE 8001 8002 8003 8004
CMD ["vitals", "--help"]
