"""Coverage-guided fuzzing with atheris (libFuzzer for Python): one module per target, each with
a ``check(data: bytes)`` that raises on a broken property. ``run.py`` fuzzes them; the ordinary
test suite replays ``corpus/<target>/`` through the same ``check``.

- ``app.py``: the WSGI app in-process, a request per input, every route (control API and
  console included): no 5xx but the ones asked for, the right error body on every 4xx, and a
  refused request changes no state;
- ``judge.py``: the proxy's judge on exchanges it never saw: it never raises, and what it says
  can be logged and journaled;
- ``loaders.py``: ``ledger.json`` files and recordings: a clear ``LedgerFileError`` or an account
  the mock can serve, never a traceback;
- ``exchange.py``: what the targets draw from the fuzzer's bytes (values, requests, documents).
"""
