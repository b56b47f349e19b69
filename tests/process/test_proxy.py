"""The proxy's contract verdicts on real upstreams: the mock keeps the contract through it; each
broken variant a single exchange can show is flagged by the rule meant for it; the
compatible variants raise no false alarm; on stop, the summary, the JUnit report and the exit
status of ``--fail-on-violation``.

The verdict tests drive the proxy's WSGI app in this process (werkzeug's test client) against
the variants server; the command's own tests run it as a process. The transport (TLS, streaming,
an upstream down or slow, workers) is ``test_proxy_transport.py``'s.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest
import requests
from werkzeug.test import Client

from contract_tests import rules
from mock_server.journal.journal import Journal
from mock_server.proxy.forwarder import Proxy, ProxyOptions
from mock_server.proxy.judge import REFUSED_NOT_ANSWERED, ProxyJudge
from mock_server.spec import load_spec
from mock_server.state import open_journal, open_store
from mock_server.testing.launcher import ServerProcess

from ..support import DEMO, DEMO_READ
from ..support.contract import SMALL_WINDOW, run_contract
from ..support.mock import CLI, launch_cli
from ..support.variants import ALL_COMPATIBLE

pytestmark = pytest.mark.slow
HISTORY = "/user/balances/history/"

FLAGGED = {
    "schema-missing-field": rules.CONFORMS,
    "types-count-as-string": rules.CONFORMS,
    "amount-format": rules.CONFORMS,
    "pagination-skips-entries": rules.FULL_BUT_AT_THE_END,
    "ordering-oldest-first": rules.NEWEST_FIRST,
    "filter-leaks-other-currency": rules.FILTER_EXACT,
    "auth-missing-token-accepted": REFUSED_NOT_ANSWERED,
    "error-envelope-flat": rules.CONFORMS,
    "status-500-on-bad-parameters": rules.NO_SERVER_ERROR,
    "pages-short-total-kept": rules.FULL_BUT_AT_THE_END,
    "bearer-challenge-missing": rules.BEARER_CHALLENGE,
}
"""Each broken variant one exchange can show, and the rule the proxy flags it by."""
UNSEEN = {
    "ledger-balance-disagrees": "the balances agree with the history only over two requests",
    "ledger-statistics-off": "the statistics agree with the history only over two requests",
    "auth-bad-signature-accepted": "only the upstream can verify a token's signature",
    "scopes-ignored": "only the upstream knows a token's scopes",
    "token-wrong-secret-accepted": "only the upstream knows a client's secret",
}
"""The broken variants no single exchange shows: the contract suite's business, not the proxy's."""


class InProcessProxy:
    """The proxy's app in front of ``target``, its violation lines kept."""

    def __init__(self, target: str) -> None:
        self.lines: list[str] = []
        journal = Journal(open_journal(open_store("memory://"), 1000), None, batched=False)
        self.app = Proxy(ProxyOptions(target, timeout=10), ProxyJudge(load_spec()), journal, report=self.lines.append)
        self.client = Client(self.app)

    def token(self) -> str:
        answer = past_429(lambda: self.client.post("/o/token/", data={"grant_type": "client_credentials"},
                                                   headers={"Authorization": _basic(DEMO)}))
        return answer.get_json()["access_token"]

    def exchanges(self) -> None:
        """What a client of the API typically sends, and a few mistakes."""
        bearer = {"Authorization": f"Bearer {self.token()}"}
        self.client.get("/user/balances/", headers=bearer)
        for offset in (0, 100, 200):
            self.client.get(HISTORY, query_string={"limit": 100, "offset": offset}, headers=bearer)
        self.client.get(HISTORY, query_string={"limit": 7}, headers=bearer)
        self.client.get(HISTORY, query_string={"currency": "USDTERC20", "limit": 50}, headers=bearer)
        self.client.get(HISTORY, query_string={"limit": "abc"}, headers=bearer)
        self.client.get(HISTORY)
        self.client.get("/user/balances/nothing-here/", headers=bearer)

    def response_rules(self) -> set[str]:
        return {line.split("): ", 1)[1].split(" [", 1)[0] for line in self.lines
                if line.startswith("contract violation (response)")}


def past_429(send: Callable[[], Any]) -> Any:
    """The first answer that is not a 429: rate-limited-429 (in all-compatible) answers every
    third request of each of the variants server's workers with one."""
    for _ in range(6):
        answer = send()
        if answer.status_code != 429:
            return answer
    raise AssertionError("six 429s in a row")


def _basic(credentials: tuple[str, str]) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


@pytest.mark.parametrize("name", sorted(FLAGGED))
def test_each_broken_variant_an_exchange_shows_is_flagged_by_its_rule(variants_server, name):
    proxy = InProcessProxy(f"{variants_server.url}/v/{name}")
    proxy.exchanges()
    assert FLAGGED[name].text in proxy.response_rules(), "\n".join(proxy.lines)


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_what_one_exchange_cannot_show_raises_no_false_alarm(variants_server, name):
    proxy = InProcessProxy(f"{variants_server.url}/v/{name}")
    proxy.exchanges()
    assert not proxy.response_rules(), (UNSEEN[name], proxy.lines)


def test_compatible_changes_raise_no_alarm_and_pass_byte_for_byte(variants_server):
    url = f"{variants_server.url}/v/{ALL_COMPATIBLE.name}"
    proxy = InProcessProxy(url)
    proxy.exchanges()
    assert not proxy.response_rules(), proxy.lines
    bearer = {"Authorization": f"Bearer {proxy.token()}"}
    through = past_429(lambda: proxy.client.get(HISTORY, query_string={"limit": 5}, headers=bearer))
    direct = past_429(lambda: requests.get(f"{url}{HISTORY}", params={"limit": 5}, headers=bearer, timeout=10))
    assert through.status_code == direct.status_code == 200
    assert through.get_data() == direct.content


def test_a_path_reaches_the_upstream_as_the_client_sent_its_bytes(variants_server):
    url = f"{variants_server.url}/v/extra-headers"  # not all-compatible: every third answer of that is a 429
    proxy = InProcessProxy(url)
    raw = "/user/balances/hist%FFory%20%C3%A9/"
    through = proxy.client.get(raw)
    direct = requests.get(url + raw, timeout=10)
    assert through.status_code == direct.status_code == 404
    assert through.get_json()["error"]["details"]["path"] == direct.json()["error"]["details"]["path"]


def test_the_contract_suite_passes_through_the_proxy_and_the_mock_breaks_nothing(server, capsys, monkeypatch,
                                                                                 tmp_path):
    proxy = launch_cli([*CLI, "proxy", server.url, "--port", "0", "--quiet"])
    try:
        monkeypatch.chdir(tmp_path)
        run = run_contract(capsys, proxy.url, "--client-id", DEMO[0], "--client-secret", DEMO[1],
                           "--read-client-id", DEMO_READ[0], "--read-client-secret", DEMO_READ[1],
                           "--examples", "3", *SMALL_WINDOW)
        assert run.returncode == 0 and not run.report.findings, run.output
        journal = requests.get(f"{proxy.url}/__proxy/requests", params={"valid": "false", "limit": 1000},
                               timeout=10).json()
    finally:
        proxy.stop()
    answers = [v for entry in journal["requests"] for v in entry["verdict"]["violations"]
               if v["code"] == "response_violation"]
    assert journal["total"] > 20 and not answers, answers  # the suite's deliberate mistakes, and no break
    assert any("contract violation (request)" in line for line in proxy.output)


def _stopped(proxy: ServerProcess) -> tuple[int, str]:
    """SIGTERM once, as a process manager stops it (a second one, sent while the proxy writes its
    summary, would end it as a second Ctrl-C does)."""
    code = proxy.stop()
    return code, "\n".join(proxy.output)


def _send(url: str, **query: Any) -> None:
    token = requests.post(f"{url}/o/token/", data={"grant_type": "client_credentials"}, auth=DEMO, timeout=10)
    requests.get(f"{url}{HISTORY}", params=query, headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                 timeout=10)


def test_on_stop_a_summary_a_junit_report_and_the_exit_status(server, tmp_path):
    report = tmp_path / "proxy.xml"
    proxy = launch_cli([*CLI, "proxy", server.url, "--port", "0", "--quiet",
                    "--fail-on-violation", "--junitxml", str(report)])
    _send(proxy.url, limit=10)
    _send(proxy.url, limit="ten")
    _send(proxy.url, limit=500)  # the server's decision (400): no violation of the client's
    code, output = _stopped(proxy)
    assert code == 1, output
    assert "balances-mock proxy: 6 requests, 1 broke the contract" in output
    assert "1  request: parameters are as the documentation allows  [docs]" in output
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite.get("failures") == "1"
    assert suite.find("testcase").get("name") == "request: parameters are as the documentation allows"

    clean = launch_cli([*CLI, "proxy", server.url, "--port", "0", "--quiet",
                    "--fail-on-violation", "--junitxml", str(report)])
    _send(clean.url, limit=10)
    code, output = _stopped(clean)
    assert code == 0, output
    assert "balances-mock proxy: 2 requests, 0 broke the contract" in output
    assert ET.parse(report).getroot().find("testsuite").get("failures") == "0"


def test_a_client_s_head_options_and_missing_slash_are_no_violation(server):
    """Issue 28: in front of the mock, a client's HEAD, OPTIONS and slashless path are served as
    Django serves them; neither the request nor the answer breaks a rule."""
    proxy = InProcessProxy(server.url)
    bearer = {"Authorization": f"Bearer {proxy.token()}"}
    assert proxy.client.head(HISTORY, headers=bearer).status_code == 200
    assert proxy.client.options(HISTORY, headers=bearer).status_code == 200
    assert proxy.client.get("/user/balances", headers=bearer).status_code == 301
    assert proxy.client.get(HISTORY, query_string={"currency": ""}, headers=bearer).status_code == 400
    assert proxy.lines == []


def test_drift_is_counted_apart_and_fails_only_strictly(variants_server, tmp_path):
    """An upstream that differs from the mock only in a decision (a 200 to an empty filter):
    drift in the log, the summary and the JUnit report; --fail-on-violation passes, and fails
    with --strict."""
    lenient = f"{variants_server.url}/v/lenient-empty-type-matches-nothing"
    for strict, expected in (((), 0), (("--strict",), 1)):
        report = tmp_path / f"proxy{len(strict)}.xml"
        proxy = launch_cli([*CLI, "proxy", lenient, "--port", "0", "--quiet",
                        "--fail-on-violation", *strict, "--junitxml", str(report)])
        _send(proxy.url, type="")
        code, output = _stopped(proxy)
        assert code == expected, output
        assert "2 requests, 0 broke the contract" in output and "contract violation" not in output
        assert "contract drift (response): an empty filter value is refused with 400" in output
        assert "1  response: an empty filter value is refused with 400  [decision: empty-filter-refused]" in output
        suite = ET.parse(report).getroot().find("testsuite")
        assert suite.get("failures") == str(expected)
        assert suite.find("testcase[@classname='contract.drift']/properties/property").get("name") == "drift"


def test_a_bad_target_is_a_usage_error():
    import subprocess

    result = subprocess.run([sys.executable, "-m", "mock_server", "proxy", "ftp://example.com"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "is not an http:// or https:// URL" in result.stderr
    assert "Traceback" not in result.stderr


def documented_ci_script() -> str:
    """The shell script of the CI recipe that runs integration tests through the proxy."""
    from ..support import ROOT

    text = (ROOT / "docs" / "ci" / "recipes.md").read_text(encoding="utf-8")
    job = text.split("## A CI job: your integration tests through the proxy", 1)[1]
    script = job.split("        run: |\n", 1)[1].split("        env:\n", 1)[0]
    return "\n".join(line.removeprefix("          ") for line in script.splitlines())


def test_the_documented_ci_job_runs_as_written(server, tmp_path):
    """The CI recipe's script, verbatim, around an integration suite whose client asks for a page
    of "ten": its tests pass, the proxy's verdict fails the job, and proxy.xml says why."""
    import os
    import subprocess

    suite = tmp_path / "tests" / "integration"
    suite.mkdir(parents=True)
    (suite / "test_client.py").write_text(
        "import os, requests\n"
        "def test_history():\n"
        "    url = os.environ['PAYMENTS_API_URL']\n"
        f"    token = requests.post(url + '/o/token/', data={{'grant_type': 'client_credentials'}}, auth={DEMO!r})\n"
        "    bearer = {'Authorization': 'Bearer ' + token.json()['access_token']}\n"
        "    assert requests.get(url + '/user/balances/history/?limit=ten', headers=bearer).status_code == 400\n")
    bin_dir = os.path.dirname(sys.executable)
    result = subprocess.run(["bash", "-c", documented_ci_script()], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "STAGING_URL": server.url,
                                              "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    assert "balances-mock proxy: 2 requests, 1 broke the contract" in result.stdout
    assert ET.parse(tmp_path / "proxy.xml").getroot().find("testsuite").get("failures") == "1"
