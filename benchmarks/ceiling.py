"""The ceiling: a Flask app that answers constant bytes, under the mock's own server and
default server settings. No token check, no validation, no ledger: what is left is Flask
and the WSGI server, the most the mock could ever reach.

    python benchmarks/ceiling.py BODIES.json [--port 0]

BODIES.json maps a path to the exact body to answer (the benchmark passes the mock's own
responses, so both send the same number of bytes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask, Response

from mock_server.serving.server import ServerOptions, serve


def constant_app(bodies: dict[str, bytes]) -> Flask:
    app = Flask("ceiling")
    for number, (path, body) in enumerate(bodies.items()):
        app.add_url_rule(path, f"constant{number}",
                         lambda body=body: Response(body, content_type="application/json"))
    return app


@click.command()
@click.argument("bodies", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--port", default=0, type=int)
def main(bodies: Path, port: int) -> None:
    app = constant_app({path: body.encode() for path, body in json.loads(bodies.read_text()).items()})
    serve(app, ServerOptions(port=port, access_log=False),
          lambda url: print(f"ceiling at {url}", flush=True, file=sys.stdout))


if __name__ == "__main__":
    main()
