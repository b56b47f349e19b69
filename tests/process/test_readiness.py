"""``balances-mock ready`` and what it relies on in ``serve``: the URL file, ports claimed alone,
a port range shared by servers on one host. Real servers on loopback."""

from __future__ import annotations

import contextlib
import http.server
import os
import random
import socket
import subprocess
import threading
from pathlib import Path

from click.testing import CliRunner

from mock_server.commands.main import main

from ..support.mock import CLI, MockServer, launch_cli, start_server


def ready(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, "ready", *args], capture_output=True, text=True, timeout=30, env=env)


def test_ready_finds_a_serving_mock_by_its_url_or_its_url_file_and_says_no_in_one_line_once_it_stops(tmp_path):
    url_file = tmp_path / "mock.url"
    assert "no server has written" in ready("--url-file", str(url_file)).stderr
    mock = start_server("--quiet", "--url-file", str(url_file))
    try:
        answer = ready(mock.url)
        assert answer.returncode == 0
        said = f"{mock.url} is ready (GET /user/balances/ without a token: 401 authentication_failed)\n"
        assert answer.stdout == said
        assert url_file.read_text().splitlines()[0] == mock.url
        assert ready("--url-file", str(url_file)).stdout == answer.stdout
        assert ready(env={**os.environ, "BALANCES_MOCK_URL_FILE": str(url_file)}).stdout == answer.stdout
    finally:
        assert mock.stop() == 0
    assert not url_file.exists()
    gone = ready(mock.url)
    assert gone.returncode == 1 and gone.stdout == ""
    assert gone.stderr.startswith(f"{mock.url} does not answer: ") and gone.stderr.count("\n") == 1


def test_a_server_that_does_not_answer_in_the_envelope_is_not_ready():
    class Plain(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Plain)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = ready(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert answer.returncode == 1
    assert "answered 200, not in the API's error envelope" in answer.stderr


def test_a_url_file_left_by_a_killed_server_is_not_taken_for_a_live_one(tmp_path):
    url_file = tmp_path / "mock.url"
    mock = start_server("--quiet", "--url-file", str(url_file))
    mock.process.kill()
    mock.process.process.wait(timeout=10)
    assert url_file.exists()
    answer = ready("--url-file", str(url_file))
    assert answer.returncode == 1 and answer.stderr == f"the server that wrote {url_file} has stopped\n"


def free_span(length: int) -> int:
    """The first of ``length`` consecutive free ports below the kernel's ephemeral range: a port
    ``free_port`` hands out is in that range, and so is the port of every connection another test
    opens meanwhile, which took the second port of a span from this test now and then."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) \
        if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    for _ in range(100):
        first = random.randrange(10_000, low - length)
        try:
            with contextlib.ExitStack() as probes:
                for port in range(first, first + length):
                    probes.enter_context(socket.create_server(("127.0.0.1", port)))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {length} consecutive free ports below {low}")


def test_servers_on_one_range_each_take_a_port_of_their_own_and_refuse_when_none_is_left():
    first = free_span(2)
    span = f"{first}-{first + 1}"
    servers = [MockServer(launch_cli([*CLI, "serve", "--port", span, "--workers", "1", "--quiet"])) for _ in range(2)]
    try:
        ports = sorted(int(server.url.rsplit(":", 1)[1]) for server in servers)
        assert ports == [first, first + 1]
        # A third server (in this process: it is refused before it builds anything) finds none left.
        third = CliRunner().invoke(main, ["serve", "--port", span])
        assert third.exit_code == 2 and third.exception is not None
        assert third.output.splitlines()[-1] == (
            f"Error: every port of {span} on 127.0.0.1 is in use by other servers: widen the range or stop one")
        busy = CliRunner().invoke(main, ["serve", "--port", str(first)])
        assert busy.exit_code == 2 and "Traceback" not in busy.output
        assert busy.output.splitlines()[-1] == (
            f"Error: port {first} on 127.0.0.1 is in use by another server: stop it, or pick another --port "
            "(0 for a free one)")
    finally:
        for server in servers:
            server.stop()

