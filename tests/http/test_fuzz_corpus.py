"""The fuzz targets' held-in corpus (``fuzz/corpus/<target>/``), replayed through the same
``check`` atheris runs: seeds that reach deep (``seed-*``) and every input that ever broke
something (``crash-*``, named by what it broke). Here rather than in ``unit``: the app target
drives the WSGI app in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="the fuzz targets draw with atheris (a Linux wheel): pip install -e '.[test]'")

from fuzz import app, judge, loaders  # noqa: E402 (atheris first)
from fuzz.exchange import ROUTES, HttpRequest  # noqa: E402
from mock_server.proxy.judge import Answer  # noqa: E402
from mock_server.spec import SANDBOX_SPEC, load_spec  # noqa: E402

from ..support import ROOT  # noqa: E402

CORPUS = ROOT / "fuzz" / "corpus"
CHECKS = {"app": app.check, "judge": judge.check, "loaders": loaders.check}
MOST_BYTES = 64 * 1024
"""The corpus stays small: inputs a fuzzer reaches deep with are bytes, not megabytes."""


def held_in() -> list[tuple[str, Path]]:
    return [(target, path) for target in CHECKS for path in sorted((CORPUS / target).iterdir())]


@pytest.mark.parametrize(("target", "path"), held_in(), ids=lambda value: getattr(value, "name", value))
def test_a_held_in_input_keeps_its_property(target, path):
    CHECKS[target](path.read_bytes())


def test_each_target_holds_seeds_every_input_is_named_and_the_corpus_is_small():
    inputs = held_in()
    assert {target for target, _ in inputs} == set(CHECKS)
    for target in CHECKS:
        assert any(path.name.startswith("seed-") for name, path in inputs if name == target), target
    assert all(path.name.startswith(("seed-", "crash-")) for _, path in inputs)
    assert sum(path.stat().st_size for _, path in inputs) < MOST_BYTES


def test_every_operation_of_both_specs_is_a_route_the_targets_draw(spec):
    for document in (spec, load_spec(SANDBOX_SPEC)):
        for path, item in document["paths"].items():
            for method in item:
                assert (method.upper(), path) in ROUTES, f"{method.upper()} {path}: add it at the end of a list"


REQUEST = HttpRequest("POST", "/__sandbox/transactions", "", (("Content-Type", "application/json"),), b"{}")
ENVELOPE = b'{"error": {"code": "invalid_request", "message": "No.", "details": {}}}'


@pytest.mark.parametrize(("answer", "changes", "broken"), [
    (Answer(500, {"content-type": "application/json"}, ENVELOPE), [], "500 nobody asked for"),
    (Answer(400, {"content-type": "text/html"}, b"<p>No.</p>"), [], "Contract rule broken"),
    (Answer(400, {"content-type": "application/json"}, b'{"error": "invalid_request"}'), [], "Contract rule broken"),
    (Answer(409, {"content-type": "application/json"}, ENVELOPE), ["account demo@x updated"], "yet changed"),
])
def test_the_app_target_reports_each_broken_property(answer, changes, broken):
    with pytest.raises(app.Violation, match=broken):
        app._properties(REQUEST, answer, [], None, changes)


def test_the_app_target_lets_through_what_was_asked_for():
    asked = HttpRequest("GET", "/user/balances/", "", (("Prefer", "code=503"),), b"")
    app._properties(asked, Answer(503, {"content-type": "application/json"}, ENVELOPE), [], None, [])
    app._properties(REQUEST, Answer(500, {"content-type": "application/json"}, ENVELOPE), [], 500, [])
    app._properties(REQUEST, Answer(201, {"content-type": "application/json"}, b"{}"), [], None, ["booked"])


def test_the_judge_target_reports_a_judge_that_raises(monkeypatch):
    seed = next(path for target, path in held_in() if target == "judge")

    def broken(*args):
        raise KeyError("history")

    monkeypatch.setattr(judge.target().judge, "request", broken)
    with pytest.raises(judge.Violation, match="KeyError"):
        judge.check(seed.read_bytes())


def test_the_loaders_target_reports_a_loader_that_raises(monkeypatch):
    seed = next(path for target, path in held_in() if target == "loaders")

    def broken(*args, **kwargs):
        raise TypeError("not a ledger")

    monkeypatch.setattr(loaders, "Accounts", broken)
    with pytest.raises(loaders.Violation, match="TypeError"):
        loaders.check(seed.read_bytes())
