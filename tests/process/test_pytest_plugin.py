"""The pytest plugin as its users meet it: test files run by pytest in a subprocess (with
pytest-xdist's two workers), the plugin found through its ``pytest11`` entry point.

One run holds every behaviour, so the servers start twice (once per worker), not once per case.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from ..support.docs import python_block

pytestmark = pytest.mark.slow

CASES = '''
import threading
from decimal import Decimal

import pytest
import requests

from mock_server.testing.pytest_plugin import BalancesMockError
from mock_server.ledger.render import render_balances
from mock_server.ledger.scenarios import build_ledger

HISTORY = "/user/balances/history/"


def bearer(balances_mock, scope=None):
    return {"Authorization": f"Bearer {balances_mock.token(scope)}"}


@pytest.mark.balances_mock(scenario="whale", seed=7)
def test_the_marker_picks_the_account(balances_mock):
    assert (balances_mock.scenario, balances_mock.seed) == ("whale", 7)
    assert balances_mock.balances() == render_balances(build_ledger("whale", 7))


def test_the_options_pick_the_others(balances_mock):
    assert (balances_mock.scenario, balances_mock.seed) == ("dust", 3)
    assert balances_mock.balances() == render_balances(build_ledger("dust", 3))


@pytest.mark.parametrize("n", range(6))
def test_each_test_has_an_account_and_a_client_of_its_own(balances_mock, n):
    balances_mock.deposit("TESTCOIN", str(n + 1))
    assert balances_mock.balances()["account"]["TESTCOIN"] == f"{n + 1}.000000"
    assert balances_mock.history(currency="TESTCOIN")["total"] == 1
    assert list(balances_mock.requests()) == []  # the fixture's own calls are not the test's


def test_any_thread_reaches_the_server_and_the_journal_judges_each_request(balances_mock):
    headers = bearer(balances_mock)
    threads = [threading.Thread(target=requests.get, args=(balances_mock.url + HISTORY,),
                                kwargs={"params": {"limit": 5}, "headers": headers}) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    requests.get(balances_mock.url + HISTORY, params={"limit": 500}, headers=headers)
    fetched = balances_mock.requests(path=HISTORY, status=200)
    assert len(fetched) == 4 and all(entry["verdict"]["valid"] for entry in fetched)
    [refused] = balances_mock.requests(valid=False)
    assert refused["status"] == 400 and "limit" in refused["verdict"]["violations"][0]["details"]


def test_fail_next_fails_exactly_that_often(balances_mock):
    balances_mock.fail_next(HISTORY, 429, times=2, retry_after=1)
    headers = bearer(balances_mock)
    answers = [requests.get(balances_mock.url + HISTORY, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "1"
    third = balances_mock.requests(path=HISTORY)[2]
    assert third["verdict"]["retry"]["ok"] is False  # it did not wait the second it was asked to


@pytest.mark.balances_mock(scopes=["read"])
def test_a_read_only_client(balances_mock):
    answer = requests.get(balances_mock.url + "/user/balances/", headers=bearer(balances_mock))
    assert answer.status_code == 403
    with pytest.raises(BalancesMockError, match="403: insufficient_permissions"):
        balances_mock.deposit("USDTERC20", "1")


def test_a_refusal_of_the_accounts_state_says_what_the_state_is(balances_mock):
    balances_mock.deposit("ETH", "1", timestamp="2025-03-01T00:00:00Z")
    with pytest.raises(BalancesMockError) as refused:
        balances_mock.deposit("ETH", "1", timestamp="2025-02-01T00:00:00Z")
    assert str(refused.value) == ("POST /__sandbox/transactions answered 409: backdated_transaction: "
                                  "2025-02-01T00:00:00Z is before the account's newest entry (2025-03-01T00:00:00Z): "
                                  "the sandbox appends, it never rewrites history.")


def test_money_is_never_a_float(balances_mock):
    with pytest.raises(TypeError, match="never a float"):
        balances_mock.deposit("USDTERC20", 0.1)


def test_advance_moves_the_clock(balances_mock):
    assert balances_mock.advance(3600) == "2025-01-15T10:30:00Z"
    assert balances_mock.deposit("ETH", "1")["timestamp"] == "2025-01-15T10:30:00Z"


def test_a_failing_test_shows_the_journal(balances_mock):
    requests.get(balances_mock.url + HISTORY + "?limit=abc", headers=bearer(balances_mock))
    assert balances_mock.requests(path="/user/balances/", status=200)


@pytest.mark.balances_mock("whale")
def test_a_marker_it_cannot_read(balances_mock):
    pass
'''


PAGE = "docs/integrators/pytest-plugin.md"
UNUSED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:anyio")
"""pytest plugins that come with this project's own dependencies and that these cases do not
use: left out, three pytest processes start in 1 s each instead of 3 s. The session without the
fixture below keeps every one of them, as a user's session has them."""


def documented_example(title: str) -> str:
    """A Python block of the pytest plugin's page, exactly as a user copies it."""
    return python_block(PAGE, title).text


def test_the_fixture_under_xdist_with_the_documented_examples(pytester, monkeypatch):
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)  # the example works as a user's shell has it
    pytester.makepyfile(test_cases=CASES, test_sync=documented_example("test_sync.py"),
                        test_whale=documented_example("test_whale.py"))
    result = pytester.runpytest_subprocess("-n", "2", "--balances-mock-scenario", "dust", "--balances-mock-seed", "3",
                                           "-p", "no:cacheprovider", *UNUSED_PLUGINS, timeout=120)
    output = result.stdout.str()
    assert "2 workers" in output
    result.assert_outcomes(passed=16, failed=1, errors=1)
    # The failure shows what the client sent, with the verdict, twice: the assert and the journal section.
    assert "<0 request(s) matching path='/user/balances/', status=200; the test's client sent 1:" in output
    assert re.search(r"balances-mock journal of sandbox-\w+", output)
    assert re.search(r"#\d+ GET /user/balances/history/\?limit=abc -> 400 \([\d.]+ ms\) INVALID: "
                     r"Invalid query parameters: limit\.", output)
    assert "takes scenario=, seed=, entries= and scopes= only; got 'whale'" in output


def test_a_session_without_the_fixture_starts_and_imports_nothing(pytester):
    pytester.makepyfile(textwrap.dedent('''
        import sys

        def test_untouched(request):
            assert request.config.pluginmanager.has_plugin("balances_mock")
            loaded = sorted(name for name in sys.modules if name.startswith("mock_server"))
            assert loaded == ["mock_server", "mock_server.testing", "mock_server.testing.pytest_plugin"]
            assert "flask" not in sys.modules
    '''))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", timeout=60)
    result.assert_outcomes(passed=1)
