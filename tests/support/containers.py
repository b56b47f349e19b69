"""The container tests' engine, images and containers (tests/container).

podman is found or the tests are skipped, saying why; where ``BALANCES_REQUIRE_CONTAINERS`` is
set (CI) they fail instead. The images are made by deploy/local-images.sh: its Debian base once
per machine, the rest from podman's layer cache, built once per test session (a lock makes the
second of two xdist workers wait for the first, then find every layer cached). Every container
runs on the host's network, so every request a test sends goes to loopback.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from . import ROOT
from .required import tool_missing

CONTAINERS_CONF = ROOT / "deploy" / "containers.conf"
LOCAL_IMAGES = ROOT / "deploy" / "local-images.sh"
COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"


@dataclass(frozen=True)
class Images:
    """The images the tests run, by name; ``build_seconds``: what building them took this session."""

    base: str = "localhost/debian:bookworm-slim"
    mock: str = "localhost/balances-mock:test"
    redis: str = "localhost/balances-mock-redis:bookworm"
    lb: str = "localhost/balances-mock-haproxy:bookworm"
    build_seconds: float = 0.0

    def environment(self) -> dict[str, str]:
        """The variables deploy/local-images.sh and deploy/compose.yaml name the images by."""
        return {"BASE_IMAGE": self.base, "BALANCES_MOCK_IMAGE": self.mock, "REDIS_IMAGE": self.redis,
                "LB_IMAGE": self.lb}


def require_podman() -> str:
    """podman's path; skip (or fail, where BALANCES_REQUIRE_CONTAINERS or BALANCES_REQUIRE_TOOLS
    is set: ``required``) without it."""
    found = shutil.which("podman")
    if found is None:
        tool_missing("containers", "podman is not on the PATH: the container tests need podman and runc "
                                   "(apt-get install podman runc debootstrap; .ci/run does)")
    return found


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment, with deploy/containers.conf for podman unless CONTAINERS_CONF names another."""
    return {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(CONTAINERS_CONF)), **(extra or {})}


def podman(*args: str, timeout: float = 120, check: bool = True,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``podman ARGS``; with ``check``, a failure fails the test with everything podman said."""
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout,
                            env=environment(env))
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def build_images(images: Images) -> Images:
    """deploy/local-images.sh for every image (the base only when missing), under a lock shared by
    every test session on this machine; the same names, with how long it took."""
    started = time.monotonic()
    with _machine_lock("balances-mock-images"):
        result = subprocess.run(["bash", str(LOCAL_IMAGES)], capture_output=True, text=True, timeout=1800,
                                env=environment(images.environment()), cwd=ROOT)
    if result.returncode != 0:
        pytest.fail(f"deploy/local-images.sh exited {result.returncode}:\n{result.stderr[-5000:]}")
    return Images(images.base, images.mock, images.redis, images.lb, time.monotonic() - started)


@contextmanager
def _machine_lock(name: str) -> Iterator[None]:
    with open(Path(tempfile.gettempdir()) / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_until(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """``condition()``'s first truthy value, asked every ``every`` seconds for at most ``timeout``;
    the test fails saying ``what`` it waited for."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(every)


@dataclass
class Container:
    """One container of ours, by name."""

    name: str

    @classmethod
    def run(cls, name: str, image: str, *args: str, env: dict[str, str] | None = None,
            options: tuple[str, ...] = ()) -> Container:
        """``podman run -d`` on the host's network. Variables of ``env`` reach the container by name
        only (``-e NAME``), so no value, a secret included, is on a command line."""
        podman("rm", "--force", "--ignore", "--volumes", name)
        names = [part for key in (env or {}) for part in ("-e", key)]
        podman("run", "-d", "--name", name, "--network", "host", *names, *options, image, *args, env=env)
        return cls(name)

    def logs(self) -> str:
        result = podman("logs", self.name, check=False)
        return result.stdout + result.stderr

    def inspect(self) -> dict[str, Any]:
        return json.loads(podman("inspect", self.name).stdout)[0]

    def running(self) -> bool:
        return self.inspect()["State"]["Running"]

    def exec(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return podman("exec", self.name, *args, check=check)

    def stop(self, timeout: int = 10) -> float:
        """``podman stop``: SIGTERM, then SIGKILL after ``timeout`` s; the seconds it took."""
        started = time.monotonic()
        podman("stop", "--time", str(timeout), self.name)
        return time.monotonic() - started

    def remove(self) -> None:
        """Gone, with its anonymous volumes (the image's /data)."""
        podman("rm", "--force", "--ignore", "--volumes", self.name, check=False)
