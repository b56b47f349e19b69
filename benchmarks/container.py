"""The container image: how big it is and which layers make it so, how long it takes to build
(without podman's layer cache and from it), how soon `podman run` answers a first token, and
how soon `podman stop` ends it, idle and with requests in flight.

Built FROM the Debian base deploy/local-images.sh makes (no registry is reachable here), with
podman on the host's network: every request goes to loopback. Targets: the image at most 300 MB,
a first token within 2 s of `run`, stopped within 2 s.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import requests

from benchmarks.harness import ROOT, Bench, Report, Verdict, table
from mock_server.serving.ports import free_port

IMAGE = "localhost/balances-mock:bench"
BASE = "localhost/debian:bookworm-slim"
RUNS = 5
MAX_MB = 300
MAX_SECONDS = 2.0
HOST_CA = "/etc/ssl/certs/ca-certificates.crt"


def run(bench: Bench, report: Report) -> list[Verdict]:
    """Builds, then measures the image; the sections, and the three targets' verdicts."""
    if shutil.which("podman") is None:
        sys.exit("podman is not installed (apt-get install podman runc debootstrap): the container benchmark needs it")
    base_seconds = _made_base()
    cold = _build(cache=False)
    warm = _build(cache=True)
    size_mb, layers = _size()
    load = os.getloadavg()[0]
    first = [_first_token() for _ in range(RUNS)]
    idle = [_stop(in_flight=0) for _ in range(RUNS)]
    busy = [_stop(in_flight=4) for _ in range(RUNS)]
    base_text = f"made in {base_seconds:.0f} s" if base_seconds is not None else "already made on this machine"
    report.say(
        "## The container image", "",
        f"`podman build --format docker` of the Dockerfile FROM {BASE} (debootstrap's minbase, slim like "
        f"debian:bookworm-slim; {base_text}): {cold:.0f} s without the layer cache (pip's download cache as this "
        f"machine has it), {warm:.1f} s from it. Image: {size_mb:.0f} MB. The layers that matter:", "",
        table(["size", "layer"], [[f"{mb:.1f} MB", step] for mb, step in layers]), "",
        f"From `podman run` to the first token answered (host network, median of {RUNS}, each a new container; "
        f"the machine's load average {load:.1f} on {os.cpu_count()} cores as it began): "
        f"{statistics.median(first):.2f} s (fastest {min(first):.2f} s, slowest {max(first):.2f} s).", "",
        f"`podman stop` (SIGTERM) to exited, median of {RUNS}: {statistics.median(idle):.2f} s idle, "
        f"{statistics.median(busy):.2f} s with 4 requests of 500 ms in flight, each answered 200 "
        f"(slowest {max(idle + busy):.2f} s).", "")
    return [
        Verdict(f"image at most {MAX_MB} MB", size_mb <= MAX_MB, f"{size_mb:.0f} MB"),
        Verdict(f"first token within {MAX_SECONDS:.0f} s of run", statistics.median(first) <= MAX_SECONDS,
                f"{statistics.median(first):.2f} s"),
        Verdict(f"stopped within {MAX_SECONDS:.0f} s",
                max(statistics.median(idle), statistics.median(busy)) <= MAX_SECONDS,
                f"{statistics.median(idle):.2f} s idle, {statistics.median(busy):.2f} s busy"),
    ]


def _environment() -> dict[str, str]:
    conf = os.environ.get("CONTAINERS_CONF", str(ROOT / "deploy" / "containers.conf"))
    return {**os.environ, "CONTAINERS_CONF": conf, "BASE_IMAGE": BASE}


def _podman(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=True, timeout=timeout,
                          env=_environment())


def _made_base() -> float | None:
    """Seconds deploy/local-images.sh took to make the base, or None when it was there."""
    missing = subprocess.run(["podman", "image", "exists", BASE], env=_environment()).returncode != 0
    started = time.monotonic()
    subprocess.run(["bash", str(ROOT / "deploy" / "local-images.sh"), "base"], check=True, env=_environment(),
                   capture_output=True, timeout=1800)
    return time.monotonic() - started if missing else None


def _build(cache: bool) -> float:
    ca = ["--volume", f"{HOST_CA}:/run/host-ca.crt:ro", "--build-arg", "PIP_CERT=/run/host-ca.crt"] \
        if os.path.exists(HOST_CA) else []
    started = time.monotonic()
    _podman("build", "--quiet", "--format", "docker", *([] if cache else ["--no-cache"]), "--build-arg",
            f"BASE={BASE}", *ca, "-t", IMAGE, str(ROOT), timeout=1800)
    return time.monotonic() - started


def _size() -> tuple[float, list[tuple[float, str]]]:
    """The image's size in MB, and each layer of more than 1 MB with the step that made it."""
    size = int(_podman("image", "inspect", "--format", "{{.Size}}", IMAGE).stdout.strip()) / 1e6
    layers = []
    for line in _podman("history", "--no-trunc", "--format", "{{.Size}}\t{{.CreatedBy}}", IMAGE).stdout.splitlines():
        amount, _, step = line.partition("\t")
        number, _, unit = amount.strip().partition(" ")
        mb = float(number) * {"B": 1e-6, "kB": 1e-3, "KB": 1e-3, "MB": 1.0, "GB": 1e3}.get(unit, 0)
        if mb >= 1:
            layers.append((mb, _step(step)))
    return size, layers


def _step(created_by: str) -> str:
    """A Dockerfile step as `podman history` tells it, short enough for a table cell."""
    step = created_by.replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").replace("|", "/")
    return f"`{step[:90]}{'...' if len(step) > 90 else ''}`"


def _serve() -> tuple[str, str, float]:
    """A container of the image on a free loopback port; its name, its URL and when `run` was called."""
    port = free_port()
    name = f"balances-mock-bench-{port}"
    started = time.monotonic()
    _podman("run", "-d", "--rm", "--name", name, "--network", "host", "-e", f"BALANCES_MOCK_PORT={port}", IMAGE,
            "serve", "--host", "127.0.0.1", "--quiet", "--threads", "4")
    return name, f"http://127.0.0.1:{port}", started


def _token(url: str, deadline: float) -> str:
    while True:
        try:
            answer = requests.post(f"{url}/o/token/", data={"grant_type": "client_credentials"},
                                   auth=("demo", "demo-secret"), timeout=2)
            if answer.status_code == 200:
                return answer.json()["access_token"]
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"no token from {url} within 60 s")
        time.sleep(0.01)


def _first_token() -> float:
    name, url, started = _serve()
    try:
        _token(url, started + 60)
        return time.monotonic() - started
    finally:
        subprocess.run(["podman", "rm", "--force", name], capture_output=True, env=_environment())


def _stop(in_flight: int) -> float:
    """Seconds `podman stop` takes, with ``in_flight`` requests of 500 ms sent just before (each must be a 200)."""
    name, url, started = _serve()
    token = _token(url, started + 60)
    with ThreadPoolExecutor(max_workers=max(in_flight, 1)) as pool:
        answers = [pool.submit(requests.get, f"{url}/user/balances/", timeout=10,
                               headers={"Authorization": f"Bearer {token}", "Prefer": "delay=500"})
                   for _ in range(in_flight)]
        time.sleep(0.2 if in_flight else 0)  # let them reach the server: they take 500 ms there
        stopping = time.monotonic()
        _podman("stop", "--time", "10", name)
        seconds = time.monotonic() - stopping
        statuses = [answer.result().status_code for answer in answers]
    if statuses != [200] * in_flight:
        raise RuntimeError(f"requests in flight at the stop were answered {statuses}")
    return seconds
