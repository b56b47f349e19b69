"""Fuzz one target, or all, for a given time: ``python fuzz/run.py app --seconds 600`` (``all``
runs each in turn). Each target runs in a process of its own under atheris, with libFuzzer's
flags, and this prints what it did: executions, executions per second, coverage (libFuzzer's
``cov``: edges of instrumented code reached; ``ft``: features, finer-grained) and what crashed.

The held-in corpus (``fuzz/corpus/<target>/``) is read, never written; what a run learns goes to
``.fuzz/<target>/corpus/`` and a crashing input to ``.fuzz/<target>/crashes/`` (both ignored by
git). A crasher goes into the held-in corpus minimized, named by what it broke::

    python fuzz/run.py app --minimize .fuzz/app/crashes/crash-... --name prefer-on-token-path

Exit status: 0 when no target crashed, 1 when one did, 2 when a run could not start.
"""

from __future__ import annotations

import argparse
import importlib
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fuzz" / "corpus"
WORK = ROOT / ".fuzz"
TARGETS = {
    "app": ("mock_server", "contract_tests", "flask", "werkzeug"),
    "judge": ("mock_server", "contract_tests"),
    "loaders": ("mock_server",),
}
"""Each target (a module of ``fuzz/``) and the packages atheris instruments for it: the coverage
that guides it."""
TIMEOUT_S = 30
"""One input taking longer is a finding (libFuzzer's ``-timeout``)."""


@dataclass
class Figures:
    """What libFuzzer said about one run."""

    target: str
    seconds: int = 0
    executions: int = 0
    per_second: int = 0
    cov: int = 0
    ft: int = 0
    corpus: int = 0
    new: int = 0
    rss_mb: int = 0
    crashes: list[str] = field(default_factory=list)
    error: list[str] = field(default_factory=list)

    def line(self) -> str:
        found = "; ".join(self.crashes) if self.crashes else "nothing"
        return (f"{self.target}: {self.executions:,} executions in {self.seconds} s ({self.per_second:,}/s), "
                f"cov {self.cov:,}, ft {self.ft:,}, corpus {self.corpus:,} inputs ({self.new:,} new), "
                f"peak RSS {self.rss_mb:,} MB; found: {found}")


STATUS = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")
STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
DONE = re.compile(r"^Done (\d+) runs in (\d+) second")
ARTIFACT = re.compile(r"Test unit written to (\S+)")
LIBFUZZER_ERROR = re.compile(r"^==\d+== ERROR: libFuzzer: (.*)")


def read(target: str, lines: list[str], seconds: int) -> Figures:
    """The figures in libFuzzer's output; a crash is named by the exception's message (or
    libFuzzer's error: a timeout, memory) and the file its input was written to."""
    figures = Figures(target, seconds)
    broke, after_header = "", False
    for text in lines:
        if after_header:
            broke, after_header = text.strip(), False
        elif "=== Uncaught Python exception" in text:
            after_header = True
        elif match := STATUS.match(text):
            figures.executions, figures.cov, figures.ft, figures.corpus = map(int, match.groups())
        elif match := STAT.match(text):
            name, value = match.group(1), int(match.group(2))
            if name == "number_of_executed_units":
                figures.executions = value
            elif name == "average_exec_per_sec":
                figures.per_second = value
            elif name == "new_units_added":
                figures.new = value
            elif name == "peak_rss_mb":
                figures.rss_mb = value
        elif match := DONE.match(text):
            figures.executions, figures.seconds = int(match.group(1)), int(match.group(2))
        elif match := LIBFUZZER_ERROR.match(text):
            broke = broke or match.group(1)
        elif match := ARTIFACT.search(text):
            figures.crashes.append(f"{broke or 'see the log'} -> {match.group(1)}")
            broke = ""
    return figures


def fuzz(target: str, seconds: int, extra: list[str]) -> Figures:
    """Run ``target`` for ``seconds`` in a process of its own; its figures. The log goes to
    ``.fuzz/<target>/last.log``."""
    work = WORK / target
    (work / "corpus").mkdir(parents=True, exist_ok=True)
    (work / "crashes").mkdir(parents=True, exist_ok=True)
    held = CORPUS / target
    held.mkdir(parents=True, exist_ok=True)
    command = [str(launcher(target)), f"-max_total_time={seconds}", "-print_final_stats=1", f"-timeout={TIMEOUT_S}",
               f"-artifact_prefix={work / 'crashes'}/", *extra, str(work / "corpus"), str(held)]
    log = work / "last.log"
    lines: list[str] = []
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   errors="replace")
        assert process.stdout is not None
        for text in process.stdout:
            out.write(text)
            lines.append(text)
            if text.startswith("#") and any(word in text for word in ("INITED", "pulse", "DONE")):
                print(f"  {target} {text.rstrip()}", flush=True)
        code = process.wait()
    figures = read(target, lines, round(time.monotonic() - started))
    if code != 0 and not figures.crashes:
        figures.error = [f"exit status {code}; see {log}", *lines[-15:]]
    return figures


def minimize(target: str, crash: Path, name: str, seconds: int) -> int:
    """Minimize a crashing input into the held-in corpus as ``crash-<name>``."""
    out = CORPUS / target / f"crash-{name}"
    command = [str(launcher(target)), "-minimize_crash=1",
               f"-max_total_time={seconds}", f"-exact_artifact_path={out}", str(crash)]
    code = subprocess.call(command, cwd=ROOT)
    print(f"{out}: {out.stat().st_size} bytes" if out.exists() else f"no minimized input (exit status {code})")
    return 0 if out.exists() else 2


def launcher(target: str) -> Path:
    """An executable that fuzzes ``target`` with the libFuzzer flags it is given: libFuzzer runs
    its own command line again to minimize a crash, so that command line must be one."""
    path = WORK / target / "fuzz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" --worker {target} -- "$@"\n')
    path.chmod(0o755)
    return path


def worker(target: str, libfuzzer: list[str]) -> None:
    """This process fuzzes ``target``: the packages it names are instrumented as they are
    imported, then libFuzzer calls the target's ``check`` with each input."""
    import atheris

    sys.path.insert(0, str(ROOT))
    # String comparisons (startswith, endswith) guide the mutations. Not the "RegEx" hook: atheris
    # 3.0 fails on a bytes pattern (TypeError in gen_match_recursive) while the product imports.
    atheris.enabled_hooks.add("str")
    with atheris.instrument_imports(include=list(TARGETS[target])):
        module = importlib.import_module(f"fuzz.{target}")
    module.target()  # built before the first input, so no input pays for it
    atheris.Setup([str(WORK / target / "fuzz"), *libfuzzer], module.check)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        worker(argv[1], argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", choices=[*TARGETS, "all"])
    parser.add_argument("--seconds", type=int, default=60, help="how long each target runs (default 60)")
    parser.add_argument("--minimize", type=Path, metavar="CRASH", help="minimize this crashing input instead")
    parser.add_argument("--name", help="with --minimize: what it broke, for its file name in the corpus")
    parser.add_argument("libfuzzer", nargs="*", help="more libFuzzer flags, after --")
    options = parser.parse_args(argv)
    if options.minimize:
        if options.target == "all" or not options.name:
            parser.error("--minimize needs one target and --name")
        return minimize(options.target, options.minimize, options.name, options.seconds)
    results = [fuzz(target, options.seconds, options.libfuzzer)
               for target in (TARGETS if options.target == "all" else [options.target])]
    print()
    for figures in results:
        print(figures.line())
        for text in figures.error:
            print(f"  {text.rstrip()}")
    if any(figures.error for figures in results):
        return 2
    return 1 if any(figures.crashes for figures in results) else 0


if __name__ == "__main__":
    sys.exit(main())
