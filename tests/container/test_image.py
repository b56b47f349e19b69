"""The image (Dockerfile) as a user runs it: every command, as a non-root user who can write
only /data, serving what the package serves, healthy by its own check, stopped gracefully.

Each container shares the host's network: every request goes to loopback."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from contract_tests import rules
from mock_server import Settings
from mock_server.commands.common import package_version
from mock_server.serving.ports import free_port
from mock_server.testing.launcher import launch

from ..support import BALANCES, DEMO, HISTORY, ROOT, SECRET
from ..support.containers import Container, Images, podman, wait_until
from ..support.mock import InProcessMock
from ..support.sandbox import Sandbox, transaction

SERVE_ENV = {"BALANCES_MOCK_TOKEN_SECRET": SECRET}
CONTRACT_ARGS = ("--client-id", DEMO[0], "--client-secret", DEMO[1], "--window", "50", "-k", "not test_schema")


def serve(images: Images, name: str, *args: str, env: dict[str, str] | None = None,
          options: tuple[str, ...] = ()) -> tuple[Container, str]:
    """The image's own command (serve) on a free loopback port, once it answers; its URL."""
    port = free_port()
    variables = {**SERVE_ENV, "BALANCES_MOCK_PORT": str(port), **(env or {})}
    container = Container.run(name, images.mock, *args, env=variables, options=options)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(url) or not container.running(), 30, f"{name} to answer at {url}")
    assert container.running(), f"{name} exited:\n{container.logs()}"
    return container, url


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}{BALANCES}", timeout=1).status_code == 401
    except requests.ConnectionError:
        return False


def run_command(images: Images, *args: str, options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``podman run --rm IMAGE ARGS``: a one-off command of the image, on the host's network."""
    return podman("run", "--rm", "--network", "host", *options, images.mock, *args, check=False, timeout=300)


@pytest.fixture(scope="module")
def served(images: Images) -> Iterator[tuple[Container, str]]:
    container, url = serve(images, "balances-mock-test-served")
    yield container, url
    container.remove()


def test_the_image_is_labelled_with_the_version_the_package_reports_and_holds_no_build_tools(images):
    labels = podman("image", "inspect", images.mock).stdout
    version = run_command(images, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"balances-mock, version {package_version()}"
    assert f'"org.opencontainers.image.version": "{package_version()}"' in labels
    assert '"org.opencontainers.image.licenses": "MIT"' in labels
    found = run_command(images, "-c", "command -v pip pip3 gcc cc git; ls -d /src /root/.cache/pip 2>/dev/null; "
                                      "ls /opt/balances-mock/lib/python3*/site-packages | grep -ix tests",
                        options=("--entrypoint", "sh"))
    assert found.stdout == "", f"the runtime image holds build leftovers:\n{found.stdout}"


def test_it_runs_as_a_user_who_can_write_only_the_data_directory(served):
    container, _ = served
    assert container.exec("id", "-u").stdout.strip() != "0"
    writable = container.exec("sh", "-c", "find / -xdev -writable ! -path '/proc/*' 2>/dev/null", check=False)
    assert writable.stdout.split() == ["/data"]


def test_it_serves_the_token_the_balances_and_the_same_data_as_the_package(served):
    _, url = served
    sandbox = Sandbox(url)
    local = InProcessMock(Settings(token_secret=SECRET))
    token = local.token()
    for path, params in ((BALANCES, None), (HISTORY, {"limit": 20, "offset": 40})):
        assert sandbox.get(path, params).content == local.get(path, token, params).data
    sandbox.close()


def test_a_booking_through_the_sandbox_command_of_the_image_shows_in_the_balances(images, served):
    _, url = served
    sandbox = Sandbox(url)
    client = sandbox.post("/__sandbox/clients", {"scenario": "empty"}).json()
    mine = Sandbox(url, (client["client_id"], client["client_secret"]))
    booked = run_command(images, "sandbox", "deposit", "--url", url, "--client-id", client["client_id"],
                         "--client-secret", client["client_secret"], "USDTERC20", "12.5")
    assert booked.returncode == 0, booked.stderr
    assert "booked deposit 12.500000 USDTERC20" in booked.stdout
    assert mine.balances()["account"] == {"USDTERC20": "12.500000"}
    sandbox.close()
    mine.close()


def test_contract_in_the_image_passes_against_the_mock_and_fails_against_a_broken_one(images, served):
    _, url = served
    passed = run_command(images, "contract", url, *CONTRACT_ARGS)
    assert passed.returncode == 0, passed.stdout[-3000:]
    variants = launch([sys.executable, "-m", "tests.support.variants"], cwd=ROOT)
    try:
        broken = run_command(images, "contract", f"{variants.url}/v/ordering-oldest-first", *CONTRACT_ARGS)
    finally:
        variants.stop()
    assert broken.returncode == 1, broken.stdout[-3000:]
    assert rules.NEWEST_FIRST.text in broken.stdout


def test_fixtures_and_record_write_into_the_data_volume_and_serve_from_it(images, served, tmp_path):
    _, url = served
    volume = "balances-mock-test-data"
    podman("volume", "rm", "--force", volume, check=False)
    data = ("--volume", f"{volume}:/data")
    try:
        fixtures = run_command(images, "fixtures", "--out", "/data/qa", "--scenario", "paging", options=data)
        assert fixtures.returncode == 0, fixtures.stderr
        recorded = run_command(images, "record", url, "--client-id", DEMO[0], "--client-secret", DEMO[1],
                               "--out", "/data/recorded", options=data)
        assert recorded.returncode == 0, recorded.stdout + recorded.stderr
        listed = run_command(images, "-c", "ls /data/qa/ledger.json /data/recorded/ledger.json",
                             options=(*data, "--entrypoint", "sh"))
        assert listed.returncode == 0, listed.stderr
        container, replay = serve(images, "balances-mock-test-replay", env={"BALANCES_MOCK_FIXTURES": "/data/recorded"},
                                  options=data)
        try:
            token = Sandbox(url)
            again = Sandbox(replay)
            assert again.get(BALANCES).content == token.get(BALANCES).content
        finally:
            container.remove()
    finally:
        podman("volume", "rm", "--force", volume, check=False)


def test_proxy_in_the_image_passes_traffic_on_and_judges_it(images, served):
    _, url = served
    port = free_port()
    proxy = Container.run("balances-mock-test-proxy", images.mock, "proxy", url, "--port", str(port))
    try:
        proxied = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(proxied), 30, "the proxy to answer")
        assert Sandbox(proxied).get(BALANCES).status_code == 200
    finally:
        proxy.remove()


def test_sigterm_answers_requests_in_flight_and_exits_zero(images):
    container, url = serve(images, "balances-mock-test-stop", env={"BALANCES_MOCK_THREADS": "4"})
    port = url.rsplit(":", 1)[1]
    try:
        signed_in = Sandbox(url)
        token = signed_in.session.headers["Authorization"]
        signed_in.close()  # its connection must not count as one of the four below

        def slow(_: int) -> int:
            return requests.get(f"{url}{BALANCES}", headers={"Authorization": token, "Prefer": "delay=700"},
                                timeout=10).status_code

        with ThreadPoolExecutor(max_workers=4) as pool:
            in_flight = [pool.submit(slow, i) for i in range(4)]
            wait_until(lambda: _requests_read(port) >= 4, 5, "the server to read the four requests")
            seconds = container.stop(timeout=10)
            assert [future.result(timeout=15) for future in in_flight] == [200] * 4
        assert container.inspect()["State"]["ExitCode"] == 0, container.logs()
        assert seconds < 10, "podman had to kill it: it did not stop on SIGTERM"
    finally:
        container.remove()


def _requests_read(port: str) -> int:
    """Connections the server on loopback ``port`` holds with nothing left unread, counted from
    its side (ss): 0 while one still waits in its listening socket's queue or holds unread bytes.
    A connection merely established may not be accepted yet, and a server that stops on SIGTERM
    closes what it never accepted: only a request it has read is in flight."""
    def rows(*selector: str) -> list[list[str]]:
        listed = subprocess.run(["ss", "-Htn", *selector], capture_output=True, text=True, check=True)
        return [line.split() for line in listed.stdout.splitlines()]
    waiting = [row for row in rows("state", "listening", "sport", f"= :{port}") if row[0] != "0"]
    held = rows("state", "established", "sport", f"= :{port}")
    return 0 if waiting or any(row[0] != "0" for row in held) else len(held)


def test_its_healthcheck_turns_healthy(served):
    container, _ = served
    # podman runs a HEALTHCHECK from systemd timers, which these machines lack: run it as they would.
    wait_until(lambda: podman("healthcheck", "run", container.name, check=False).returncode == 0, 20,
               "the healthcheck to pass")
    assert container.inspect()["State"]["Health"]["Status"] == "healthy"
    assert container.exec("balances-mock", "ready").stdout.startswith("http://127.0.0.1:")


def test_a_bad_state_url_exits_non_zero_with_one_error_line(images):
    result = run_command(images, "serve", "--state", "postgres://db/state")
    assert result.returncode != 0
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == ["Error: unknown state store 'postgres://db/state': use sqlite:///path/state.db, "
                      "redis://host:port/N or memory://"], result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_booking_kept_in_sqlite_on_the_volume_survives_a_new_container(images):
    volume = "balances-mock-test-state"
    podman("volume", "rm", "--force", volume, check=False)
    options = ("--volume", f"{volume}:/data")
    try:
        first, url = serve(images, "balances-mock-test-state", "serve", "--host", "127.0.0.1", "--state",
                           "sqlite:////data/state.db", options=options)
        booked = Sandbox(url).post("/__sandbox/transactions", transaction("deposit", "BTC", "1"))
        assert booked.status_code == 201, booked.text
        first.remove()
        second, url = serve(images, "balances-mock-test-state", "serve", "--host", "127.0.0.1", "--state",
                            "sqlite:////data/state.db", options=options)
        assert Sandbox(url).get(HISTORY, {"limit": 1}).json()["history"][0] == booked.json()
        second.remove()
    finally:
        podman("volume", "rm", "--force", volume, check=False)


