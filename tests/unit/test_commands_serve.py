"""``serve``'s journal and console flags and environment variables, and the banner's lines for
them: the command is run in-process with the app and the server replaced, so nothing listens."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from mock_server import Settings
from mock_server.app import JOURNAL_EXTENSION
from mock_server.commands import serve as cli
from mock_server.commands.main import main


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch):
    """Runs ``balances-mock serve ARGS``; the Settings it would have served with, and the result."""
    def run(*args: str, env: dict[str, str] | None = None) -> tuple[Any, Settings | None]:
        made: list[Settings] = []
        app = SimpleNamespace(extensions={JOURNAL_EXTENSION: None})
        monkeypatch.setattr(cli, "create_app", lambda settings: made.append(settings) or app)
        monkeypatch.setattr(cli, "serve", lambda app, options, on_ready: None)
        result = CliRunner().invoke(main, ["serve", "--state", "memory://", *args], env=env)
        return result, made[0] if made else None
    return run


def test_the_journal_is_on_by_default_and_keeps_ten_thousand_requests(serve):
    result, settings = serve()
    assert result.exit_code == 0, result.output
    assert (settings.journal, settings.journal_size) == (True, 10_000)


@pytest.mark.parametrize(("args", "env", "expected"), [
    (["--journal-size", "50"], None, (True, 50)),
    ([], {"BALANCES_MOCK_JOURNAL_SIZE": "7"}, (True, 7)),
    (["--no-journal"], None, (False, 10_000)),
    ([], {"BALANCES_MOCK_NO_JOURNAL": "1"}, (False, 10_000)),
    (["--no-sandbox"], None, (False, 10_000)),  # the journal is the sandbox's
])
def test_flags_and_environment_variables(serve, args, env, expected):
    result, settings = serve(*args, env=env)
    assert result.exit_code == 0, result.output
    assert (settings.journal, settings.journal_size) == expected


@pytest.mark.parametrize("size", ["0", "1000001", "many"])
def test_a_journal_size_out_of_range_is_a_usage_error(serve, size):
    result, settings = serve("--journal-size", size)
    assert result.exit_code == 2 and settings is None
    assert "--journal-size" in result.output


@pytest.mark.parametrize(("option", "value", "reason"), [
    ("--rate-limit", "lots", "couldn't parse rate limit string 'lots'"),
    ("--latency", "abc", "expected MIN:MAX in milliseconds, got 'abc'"),
])
def test_a_value_that_does_not_parse_is_a_usage_error_naming_its_option(serve, option, value, reason):
    result, settings = serve(option, value)
    assert result.exit_code == 2 and settings is None
    assert f"Error: Invalid value for '{option}': {reason}" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback


def test_the_banner_says_where_the_journal_is_and_how_to_turn_it_off(capsys):
    cli._announce("http://127.0.0.1:8000", Settings(journal_size=2_500), None)
    assert ("  journal: the last 2,500 requests, each client's at http://127.0.0.1:8000/__sandbox/requests; "
            "--no-journal turns it off\n") in capsys.readouterr().out
    cli._announce("http://127.0.0.1:8000", Settings(journal=False), None)
    assert "  journal: off\n" in capsys.readouterr().out
    cli._announce("http://127.0.0.1:8000", Settings(sandbox=False), None)
    assert "journal" not in capsys.readouterr().out  # "sandbox: off" says it all


@pytest.mark.parametrize(("args", "env", "console"), [
    ([], None, True),
    (["--no-console"], None, False),
    ([], {"BALANCES_MOCK_NO_CONSOLE": "1"}, False),
    (["--no-sandbox"], None, False),  # the console drives the sandbox
    (["--no-journal"], None, True),  # it then says the journal is off
])
def test_the_console_is_on_unless_turned_off_or_the_sandbox_is(serve, args, env, console):
    result, settings = serve(*args, env=env)
    assert result.exit_code == 0, result.output
    assert settings.console is console


def test_the_banner_says_where_the_console_is_and_how_to_turn_it_off(capsys):
    cli._announce("http://127.0.0.1:8000", Settings(), None)
    assert ("  console: http://127.0.0.1:8000/__console/ (API docs at http://127.0.0.1:8000/__console/docs/); "
            "--no-console turns it off\n") in capsys.readouterr().out
    cli._announce("http://127.0.0.1:8000", Settings(console=False), None)
    assert "  console: off\n" in capsys.readouterr().out
    cli._announce("http://127.0.0.1:8000", Settings(sandbox=False), None)
    assert "console" not in capsys.readouterr().out


def test_no_sandbox_is_said_in_the_banner_and_leaves_its_paths_to_the_unknown_path_answer(serve, capsys):
    """The app itself answers the sandbox's paths as unknown ones (tests/http/test_control.py)."""
    result, settings = serve("--no-sandbox")
    assert result.exit_code == 0, result.output
    assert (settings.sandbox, settings.journal, settings.console) == (False, False, False)
    cli._announce("http://127.0.0.1:8000", settings, None)
    assert "  sandbox: off\n" in capsys.readouterr().out


@pytest.mark.parametrize("url", ["ftp://x", "sqlite:///no/such/dir/x.db", "redis://127.0.0.1:1/0"])
def test_an_unusable_state_url_is_a_usage_error(monkeypatch, url):
    """The real app factory opens the state; only the server is replaced, so nothing listens."""
    served: list[Any] = []
    monkeypatch.setattr(cli, "serve", lambda app, options, on_ready: served.append(app))
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--token-secret", "x" * 32, "--state", url])
    assert result.exit_code == 2 and not served, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and url in errors[0], result.stderr


def test_a_bad_or_missing_clients_file_is_a_usage_error_naming_the_fault(serve, tmp_path):
    """Each fault's message is tested in test_clients_file.py; here, that serve shows it."""
    bad = tmp_path / "clients.yaml"
    bad.write_text("clients:\n  - {client_id: x, client_secret: y, scopes: [admin]}\n")
    for path, message in ((bad, "clients[0].scopes: unknown scope admin"), (tmp_path / "no.yaml", "cannot read")):
        result, settings = serve("--clients", str(path))
        assert result.exit_code == 2 and settings is None
        assert message in result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
