"""``balances-mock proxy``: a validating proxy that passes every request to a real
implementation unchanged and judges both directions against the contract.

What it offers: ``forwarder`` (``Proxy``, the WSGI app, its ``ProxyOptions`` and
``summary``) and ``judge`` (``ProxyJudge``: the contract suite's own checks applied to one
exchange). It keeps what it saw in the journal, as the mock does.

May import: the journal, the twin's spec validator and token parsing, the foundation, and
``contract_tests`` (its checks and rules). Independent of the console, the recorder, the
sandbox and the server (import-linter keeps it so).
"""
