"""The ``balances-mock`` command line: one click group (``main.py``) and one module per command.

What it offers: ``main`` (the console script and ``python -m mock_server``), and the commands
``serve``, ``fixtures``, ``record``, ``contract``, ``sandbox`` (a group) and ``proxy``.
``common.py`` holds what several commands share (the package's version, the contract suite's
options); ``clients_file.py`` reads ``serve --clients``.

May import: everything below it (the app factory, serving, proxy, record, the ledger, the
state URL's checks) and ``contract_tests``. Nothing imports it but ``mock_server.__main__``.
"""
