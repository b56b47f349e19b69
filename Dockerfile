# balances-mock in one image: the mock (serve), the sandbox, the contract suite, the proxy, the
# recorder and the fixtures. `docker run IMAGE` serves on port 8000; `docker run IMAGE contract URL`,
# `... proxy URL`, `... record URL --out /data/x`, `... fixtures ...`, `... sandbox deposit ...` run the
# other commands. README.md, "Run it in a container", says more.
#
# The base is any Debian-like image with Python 3.11 or newer, or with none: Debian's python3 is
# installed when the base lacks it (the tests build FROM a debootstrap'd Debian, no registry being
# reachable there). Behind a TLS-inspecting proxy, mount its CA bundle for the build and name it:
#   docker build -v /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro --build-arg PIP_CERT=/run/host-ca.crt .
ARG BASE=python:3.12-slim

FROM ${BASE} AS python
RUN if ! python3 -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
        apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 python3-venv >/dev/null \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && python3 -m venv /opt/balances-mock

# The dependencies pyproject.toml names, alone in a file: the next stage is rebuilt when they
# change, not when anything else in pyproject.toml does.
FROM python AS requirements
COPY pyproject.toml /src/
RUN python3 -c 'import tomllib; print("\n".join(tomllib.load(open("/src/pyproject.toml", "rb"))["project"]["dependencies"]))' \
        > /requirements.txt

FROM python AS build
ARG PIP_CERT=
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY --from=requirements /requirements.txt /src/requirements.txt
# pip's cache is a build cache mount: it speeds the next build up and is in no layer.
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/balances-mock/bin/pip install -q ${PIP_CERT:+--cert "$PIP_CERT"} -r /src/requirements.txt
COPY . /src
RUN --mount=type=cache,target=/root/.cache/pip \
    /opt/balances-mock/bin/pip install -q ${PIP_CERT:+--cert "$PIP_CERT"} --no-deps /src \
    && /opt/balances-mock/bin/pip uninstall -q -y pip setuptools \
    && /opt/balances-mock/bin/balances-mock --version

FROM ${BASE}
# Debian's python3 alone when the base has none: the virtual environment comes from the build stage.
RUN if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
        apt-get update -qq \
        && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3 >/dev/null \
        && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log; \
    fi \
    && useradd --uid 10001 --user-group --no-create-home --home-dir /data --shell /usr/sbin/nologin balances-mock \
    && mkdir /data && chown balances-mock:balances-mock /data \
    && chmod 0755 /tmp /var/tmp /run/lock
COPY --from=build /opt/balances-mock /opt/balances-mock
ENV PATH=/opt/balances-mock/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    BALANCES_MOCK_URL_FILE=/dev/shm/balances-mock.url
# Where the image was built from, for its labels: the repository's URL and the commit (CI knows
# them). Declared here, after every layer with content: a new commit rebuilds no layer but these.
ARG SOURCE=
ARG REVISION=
LABEL org.opencontainers.image.title="balances-mock" \
      org.opencontainers.image.description="An offline twin, sandbox and contract kit for the Cryptofuse account-balances API" \
      org.opencontainers.image.version="0.1.0" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}"
USER balances-mock:balances-mock
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["balances-mock", "ready"]
ENTRYPOINT ["balances-mock"]
CMD ["serve", "--host", "0.0.0.0"]
