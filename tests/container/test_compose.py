"""deploy/compose.yaml under podman-compose: Redis, three replicas (``--scale mock=3``, the file
unedited) and HAProxy in front, every service on the host's network, so every request a test
sends goes to loopback, the replicas' included.

What a team sharing one sandbox relies on: a booking made through the load balancer is seen at
once by every replica, rate limits are counted across replicas, and a replica killed in the
middle of a burst of bookings loses none that was acknowledged and rejoins when restarted.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from mock_server.serving.ports import free_port

from ..support import BALANCES, HISTORY, SECRET, TRANSACTIONS
from ..support.containers import COMPOSE_FILE, Container, Images, environment, podman, wait_until
from ..support.sandbox import Sandbox, transaction, units

PROJECT = "balances-mock-test"
REPLICAS = 3
RATE_LIMIT = 100
"""Requests per minute per client, counted in Redis by every replica."""
BURST = 80
KILL_AFTER = 20
"""Bookings acknowledged before one replica is killed."""
THREADS = 4


@dataclass
class Stack:
    lb: str
    env: dict[str, str]

    def replicas(self) -> list[Container]:
        names = podman("ps", "--filter", f"label=com.docker.compose.project={PROJECT}", "--filter",
                       "label=com.docker.compose.service=mock", "--format", "{{.Names}}").stdout.split()
        return [Container(name) for name in sorted(names)]

    def url_of(self, replica: Container) -> str:
        """Where the replica serves: it took a port of the range and wrote it into its URL file."""
        found = replica.exec("balances-mock", "ready", check=False)
        assert found.returncode == 0, found.stderr
        return found.stdout.split()[0]


def compose(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """podman-compose (the test environment's: pyproject's test extra pins it) on deploy/compose.yaml."""
    command = shutil.which("podman-compose", path=str(Path(sys.executable).parent)) or shutil.which("podman-compose")
    if command is None:
        pytest.fail("podman-compose is not installed: pip install -e '.[test]' installs it")
    result = subprocess.run([command, "-p", PROJECT, "-f", str(COMPOSE_FILE), *args], capture_output=True, text=True,
                            env=environment(env), timeout=300)
    assert not check or result.returncode == 0, (
        f"podman-compose {' '.join(args)}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


@pytest.fixture(scope="module")
def stack(images: Images) -> Iterator[Stack]:
    lb_port = free_port()
    env = {**images.environment(), "REDIS_PORT": str(free_port()), "BALANCES_MOCK_LB_ADDRESS": "127.0.0.1",
           "BALANCES_MOCK_LB_PORT": str(lb_port), "BALANCES_MOCK_TOKEN_SECRET": SECRET,
           "BALANCES_MOCK_RATE_LIMIT": f"{RATE_LIMIT}/minute"}
    _down(env)  # what an interrupted run left behind
    compose(env, "up", "-d", "--no-build", "--scale", f"mock={REPLICAS}")
    stack = Stack(f"http://127.0.0.1:{lb_port}", env)
    try:
        wait_until(lambda: len(stack.replicas()) == REPLICAS and all(
            replica.exec("balances-mock", "ready", check=False).returncode == 0 for replica in stack.replicas()),
            60, f"{REPLICAS} replicas to be ready")
        wait_until(lambda: _answers(stack.lb), 30, "the load balancer to answer")
        yield stack
    finally:
        _down(env)


def _down(env: dict[str, str]) -> None:
    """Every container of the project gone, and every volume they had: ``down`` knows the file's
    two replicas, not the third ``--scale`` added, nor the image's anonymous /data volumes."""
    label = f"label=com.docker.compose.project={PROJECT}"
    containers = podman("ps", "--all", "--quiet", "--filter", label).stdout.split()
    volumes = podman("inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", *containers).stdout.split() \
        if containers else []
    compose(env, "down", "--volumes", "--timeout", "5", check=False)
    if containers:
        # --depend: a container others depend on goes with them; without it, one rm of them all
        # was refused now and then ("has dependent containers which must be removed before it").
        podman("rm", "--force", "--ignore", "--depend", "--volumes", *containers)
    if volumes:
        podman("volume", "rm", "--force", *volumes, check=False)


def _answers(url: str) -> bool:
    try:
        return requests.get(f"{url}{BALANCES}", timeout=2).status_code == 401
    except requests.ConnectionError:
        return False


def fresh_client(url: str) -> tuple[str, str]:
    """A client of its own with an empty account, created through ``url``."""
    with_demo = Sandbox(url)
    created = with_demo.post("/__sandbox/clients", {"scenario": "empty"})
    with_demo.close()
    assert created.status_code == 201, created.text
    return created.json()["client_id"], created.json()["client_secret"]


def test_scaled_to_three_replicas_each_on_a_port_of_its_own_and_all_in_rotation(stack):
    replicas = stack.replicas()
    urls = {stack.url_of(replica) for replica in replicas}
    assert len(replicas) == REPLICAS and len(urls) == REPLICAS, urls
    assert all(8101 <= int(url.rsplit(":", 1)[1]) <= 8108 for url in urls), urls
    sandbox = Sandbox(stack.lb, fresh_client(stack.lb))

    def served_by_each() -> bool:
        sandbox.get(BALANCES)
        return all('"GET /user/balances/" query="" 200' in replica.logs() for replica in replicas)

    wait_until(served_by_each, 20, "a read through the load balancer answered by each replica")
    sandbox.close()


def test_a_booking_through_the_load_balancer_is_seen_at_once_by_every_replica(stack):
    client = fresh_client(stack.lb)
    through = Sandbox(stack.lb, client)
    booked = through.book("deposit", "USDTERC20", "42.5")
    assert booked.status_code == 201, booked.text
    for replica in stack.replicas():
        direct = Sandbox(stack.url_of(replica), client)
        assert direct.get(HISTORY, {"limit": 1}).json()["history"] == [booked.json()]
        assert direct.balances()["account"] == {"USDTERC20": "42.500000"}
        direct.close()
    assert through.balances()["account"] == {"USDTERC20": "42.500000"}
    through.close()


def test_rate_limits_are_counted_across_replicas(stack):
    """One client's requests, sent to each replica in turn: one limit for all of them, not one each."""
    client = fresh_client(stack.lb)
    sessions = [Sandbox(stack.url_of(replica), client) for replica in stack.replicas()]
    answered = 0
    for i in range(REPLICAS * RATE_LIMIT):  # what three limits counted apart would let through
        if sessions[i % len(sessions)].get(BALANCES).status_code == 429:
            break
        answered += 1
    # The client's token requests count too, so a few less than the limit are answered.
    assert RATE_LIMIT - 2 * REPLICAS <= answered <= RATE_LIMIT, answered
    assert [session.get(BALANCES).status_code for session in sessions] == [429] * REPLICAS
    through_lb = sessions[0].session.get(f"{stack.lb}{BALANCES}", timeout=10)  # a new token would count too
    assert through_lb.status_code == 429
    for session in sessions:
        session.close()


def test_a_replica_killed_mid_burst_loses_no_acknowledged_booking_and_rejoins(stack):
    client = fresh_client(stack.lb)
    token = Sandbox(stack.lb, client).session.headers["Authorization"]
    victim = stack.replicas()[1]
    # HAProxy names a replica by its port (deploy/haproxy.cfg: replica1 is 8101) in its log.
    victim_server = f"replicas/replica{int(stack.url_of(victim).rsplit(':', 1)[1]) - 8100} "
    acknowledged: dict[int, dict[str, str]] = {}
    failed: list[int] = []
    enough = threading.Event()
    lock = threading.Lock()

    def book(i: int) -> None:
        try:
            answer = requests.post(f"{stack.lb}{TRANSACTIONS}", json=transaction("deposit", "BTC", units(i + 1)),
                                   headers={"Authorization": token, "Idempotency-Key": f"burst-{i}"}, timeout=10)
        except requests.RequestException:
            answer = None
        with lock:
            if answer is not None and answer.status_code == 201:
                acknowledged[i] = answer.json()
            else:
                failed.append(i)
            if len(acknowledged) >= KILL_AFTER:
                enough.set()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        first = [pool.submit(book, i) for i in range(KILL_AFTER * 2)]
        assert enough.wait(30), "the burst never got going"
        podman("kill", "--signal", "KILL", victim.name)
        rest = [pool.submit(book, i) for i in range(KILL_AFTER * 2, BURST)]
        for future in first + rest:
            future.result(timeout=60)
    assert len(failed) <= THREADS, f"{len(failed)} bookings failed: more than were in flight when the replica died"

    # A client sends a booking that failed again, with the same key: booked once, whatever happened.
    retried = {}
    for i in failed:
        answer = requests.post(f"{stack.lb}{TRANSACTIONS}", json=transaction("deposit", "BTC", units(i + 1)),
                               headers={"Authorization": token, "Idempotency-Key": f"burst-{i}"}, timeout=10)
        assert answer.status_code in (200, 201), answer.text
        retried[i] = answer.json()
    history = Sandbox(stack.lb, client).history()
    counts = Counter(tuple(sorted(entry.items())) for entry in history)
    assert all(counts[tuple(sorted(entry.items()))] == 1 for entry in acknowledged.values())
    assert len(history) == BURST and sorted(entry["amount"] for entry in history) == sorted(
        units(i + 1) for i in range(BURST))
    lb_log = podman("logs", f"{PROJECT}_lb_1").stdout
    booked_by_victim = sum(victim_server in line and TRANSACTIONS in line for line in lb_log.splitlines())
    assert booked_by_victim > 0, "the killed replica booked nothing of the burst: the kill proved nothing"
    print(f"\nreplica kill: {len(acknowledged)} of {BURST} bookings acknowledged at once ({booked_by_victim} by the "
          f"replica killed), {len(failed)} failed while it died and were sent again with their key; "
          f"{len(history)} entries in the history, each once")

    podman("start", victim.name)
    wait_until(lambda: victim.exec("balances-mock", "ready", check=False).returncode == 0, 30,
               "the restarted replica to be ready")
    served_before = victim.logs().count('"GET /user/balances/" query="" 200')
    reader = Sandbox(stack.lb, fresh_client(stack.lb))  # the burst's client has used most of its rate limit
    wait_until(lambda: reader.get(BALANCES).status_code == 200 and
               victim.logs().count('"GET /user/balances/" query="" 200') > served_before, 20,
               "the load balancer to send reads to the restarted replica")
    reader.close()
