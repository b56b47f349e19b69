"""The sandbox's control API (``/__sandbox/...``): what the real API lacks, over HTTP.

What it offers: ``control`` (``Control``, the views of ``spec/sandbox.yaml``: deposits and
withdrawals, the clock, reset, clients, faults and the request journal; ``ClientDefaults``)
and ``armed_faults`` (``ArmedFaults``: the pipeline step that fires a fault armed for a
client). The rules of a booking are ``mock_server.ledger.bookings``; where they are kept is
``mock_server.state``.

May import: the journal, the twin (its request state, accounts, registry, faults), the
state stores' interface, the ledger and the foundation.
"""
