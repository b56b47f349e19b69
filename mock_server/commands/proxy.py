"""``balances-mock proxy TARGET_URL``: the command around ``proxy.Proxy``: options, the journal
it keeps, and on stop the summary, the JUnit report and the exit status."""

from __future__ import annotations

import shutil
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

from mock_server.serving.server import ServerOptions, serve

DEFAULT_PORT = 8001
DEFAULT_JOURNAL_SIZE = 100_000


@click.command("proxy")
@click.argument("target_url")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (loopback by default).")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0 picks a free one).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes. One keeps the journal in the order exchanges arrived; more pass more on.")
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 256), help="Threads per worker.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(0.001, 3600),
              help="Seconds to wait for the upstream before answering 504.")
@click.option("--ca-bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CA certificates (PEM) to verify a TLS upstream with, instead of the system's.")
@click.option("--insecure", is_flag=True, help="Do not verify the upstream's TLS certificate.")
@click.option("--annotate", is_flag=True, help="Add X-Contract-Violations: N to every answer that broke a rule "
                   "(X-Contract-Drift: N for drift).")
@click.option("--fail-on-violation", is_flag=True, help="Exit 1 on stop if any exchange broke a rule.")
@click.option("--strict", is_flag=True,
              help="With --fail-on-violation, drift fails too: an answer that takes a decision of the spec "
                   "another way (reported apart, and passing, without it).")
@click.option("--junitxml", type=click.Path(dir_okay=False, path_type=Path),
              help="On stop, write the summary as a JUnit XML report (one test case per rule).")
@click.option("--journal-size", default=DEFAULT_JOURNAL_SIZE, show_default=True, type=click.IntRange(1, 10_000_000),
              help="Exchanges kept for GET /__proxy/requests and the summary.")
@click.option("--quiet", is_flag=True, help="No access log line per request (violations are still logged).")
def proxy_command(target_url: str, host: str, port: int, workers: int, threads: int, timeout: float,
                  ca_bundle: Path | None, insecure: bool, annotate: bool, fail_on_violation: bool,
                  strict: bool, junitxml: Path | None, journal_size: int, quiet: bool) -> None:
    """Pass every request on to TARGET_URL unchanged, and check both sides against the contract.

    Each violation is logged on one line (rule, expected, got, and a curl that repeats the
    request, secrets redacted) and kept in the journal at GET /__proxy/requests. An answer that
    differs only in a decision of the spec (where the documentation is silent) is drift, logged,
    counted and reported apart. On Ctrl-C or SIGTERM it prints a summary; with
    --fail-on-violation it exits 1 if anything broke a rule (drift too with --strict).
    """
    parts = urlsplit(target_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{target_url!r} is not an http:// or https:// URL", param_hint="TARGET_URL")
    if ca_bundle is not None and insecure:
        raise click.UsageError("--ca-bundle and --insecure contradict each other: pick one")
    verify: bool | str = False if insecure else str(ca_bundle) if ca_bundle else True
    from mock_server.journal.journal import Journal  # here, not at the top: every other command starts without them
    from mock_server.proxy.forwarder import Proxy, ProxyOptions, summary
    from mock_server.proxy.judge import ProxyJudge
    from mock_server.spec import load_spec
    from mock_server.state import open_journal, open_store

    folder = Path(tempfile.mkdtemp(prefix="balances-proxy-"))
    try:
        store = open_store(f"sqlite:///{folder / 'journal.db'}")
        # Batched, as the mock's own journal on a SQLite state: a transaction per exchange cost a
        # fifth of the proxy's throughput, and its workers took turns at the file's lock for it.
        journal = Journal(open_journal(store, journal_size), None, batched=True)
        app = Proxy(ProxyOptions(target_url, timeout, verify, annotate), ProxyJudge(load_spec()), journal)
        options = ServerOptions(host=host, port=port, workers=workers, threads=threads, access_log=not quiet)
        journal.watch_workers()
        serve(app, options, lambda url: _announce(url, target_url, verify))
        seen = summary(journal)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _print_summary(seen)
    if junitxml is not None:
        _write_junit(seen, junitxml, target_url, strict)
        click.echo(f"JUnit report written to {junitxml}")
    if fail_on_violation and (seen["with_violations"] or (strict and seen["with_drift"])):
        sys.exit(1)


def _announce(url: str, target: str, verify: bool | str) -> None:
    click.echo(f"balances-mock proxy at {url} -> {target}")
    trust = "not verified (--insecure)" if verify is False else f"verified with {verify}" if isinstance(
        verify, str) else "verified with the system's CAs"
    click.echo(f"  TLS upstream certificates: {trust}")
    click.echo(f"  journal of exchanges: {url}/__proxy/requests")
    click.echo("  stop with Ctrl-C: a summary follows")


def _print_summary(seen: dict[str, Any]) -> None:
    click.echo(f"balances-mock proxy: {seen['requests']} requests, {seen['with_violations']} broke the contract"
               + ("" if seen["kept"] == seen["requests"] else
                  f" (counted over the last {seen['kept']} kept: raise --journal-size)"))
    for rule, found in seen["violations"].items():
        click.echo(f"  {found['count']:>6}  {rule}  [{found['basis']}]")
    if seen["drift"]:
        click.echo(f"  drift: {seen['with_drift']} answered a decision of the spec another way "
                   "(not a broken contract; fails only with --strict)")
        for rule, found in seen["drift"].items():
            click.echo(f"  {found['count']:>6}  {rule}  [{found['basis']}]")


def _write_junit(seen: dict[str, Any], path: Path, target: str, strict: bool = False) -> None:
    """One test case per rule broken (a failure with its count and an example), one per decision
    taken another way (drift: a passing case with a ``drift`` property, a failure with
    ``strict``), and one that passes when every exchange kept the contract."""
    drift = seen.get("drift", {})
    failures = len(seen["violations"]) + (len(drift) if strict else 0)
    suite = ET.Element("testsuite", name="balances-mock proxy", tests=str(len(seen["violations"]) + len(drift) or 1),
                       failures=str(failures), errors="0", skipped="0")
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="target", value=target)
    if not seen["violations"]:
        ET.SubElement(suite, "testcase", classname="contract", name="every exchange kept the contract")
    for rule, found in seen["violations"].items():
        case = ET.SubElement(suite, "testcase", classname="contract", name=rule)
        failure = ET.SubElement(case, "failure", message=f"{found['count']} exchanges broke: {rule}")
        failure.text = f"basis: {found['basis']}\nexample: {found['example']}"
    for rule, found in drift.items():
        case = ET.SubElement(suite, "testcase", classname="contract.drift", name=rule)
        detail = f"{found['count']} exchanges took a decision of the spec another way: {rule} [{found['basis']}]"
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="drift", value=detail)
        if strict:
            ET.SubElement(case, "failure", message=detail).text = f"example: {found['example']}"
    tree = ET.ElementTree(ET.Element("testsuites"))
    tree.getroot().append(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    tree.write(path, encoding="utf-8", xml_declaration=True)
