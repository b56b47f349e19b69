"""``balances-mock record``: a real account, read through the API, turned into a fixture set
the mock serves (``serve --fixtures DIR``).

What it offers: ``recorder`` (``record``, ``RecordOptions``, ``RecordError``, ``public_url``)
and ``anonymize`` (amounts and times shifted so a recording can be shared).

May import: the ledger (the ledger file, reconciliation, rendering, fixtures) and
``contract_tests``' client (budget, back-off, tokens). Independent of the proxy, the console,
the sandbox and the server.
"""
