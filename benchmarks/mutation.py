"""Mutation testing of the contract suite's rules: mutmut changes ``contract_tests/checks.py``,
``conformance.py`` and ``rules.py`` one small way at a time (a ``<`` for a ``<=``, a constant,
a string, an argument dropped) and runs the unit-level tests of the checks against each change.
A change no test notices (a survivor) is a way the rule could break unseen; the broken variants
show what the authors thought of, this shows what they did not.

Prints the score per module and every survivor with its diff; RELIABILITY.md says which
survivors are equivalent (no behaviour a user relies on changes) and why.

    python -m benchmarks.mutation [--max-children 2] [--keep]

What is mutated and which tests run are in pyproject.toml (``[tool.mutmut]``). A fresh run
takes about 15 minutes on 2 cores; ``--keep`` reuses the results of the last one in mutants/
(mutmut then tests only what changed). Needs mutmut: ``pip install -e '.[mutation]'``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict

import click

from benchmarks.harness import ROOT, table

MUTANTS = ROOT / "mutants"
RESULT = re.compile(r"^\s*(?P<module>[\w.]+)\.(?P<function>x\S+?)__mutmut_(?P<number>\d+): (?P<status>.+)$")
KILLED = "killed"
SURVIVED = ("survived", "no tests")
"""A mutant no test ran is as unnoticed as one every test passed."""


def mutmut(*args: str, quiet: bool = False) -> str:
    result = subprocess.run([sys.executable, "-m", "mutmut", *args], cwd=ROOT, text=True,
                            stdout=subprocess.DEVNULL if quiet else subprocess.PIPE, stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise click.ClickException(f"mutmut {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout or ""


def results() -> list[dict[str, str]]:
    """Every mutant: module, function, name and status, as ``mutmut results --all`` lists them."""
    found = []
    for line in mutmut("results", "--all", "true").splitlines():
        match = RESULT.match(line)
        if match:
            found.append({**match.groupdict(), "name": line.split(":", 1)[0].strip()})
    return found


def diff(name: str) -> str:
    """The mutant's change, as ``mutmut show`` prints it (read in this process: a ``mutmut show``
    per survivor costs seconds)."""
    from mutmut.__main__ import find_mutant  # mutmut reads its configuration from the working folder
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    return get_diff_for_mutant(name, path=find_mutant(name).path)


def function_name(mangled: str) -> str:
    """``xǁContractǁobserve`` -> ``Contract.observe``; ``x_newest_first`` -> ``newest_first``."""
    return mangled.removeprefix("x_").removeprefix("xǁ").replace("ǁ", ".")


@click.command()
@click.option("--max-children", default=2, show_default=True, help="Mutants tested at once.")
@click.option("--keep", is_flag=True, help="Reuse mutants/ from the last run instead of starting afresh.")
def main(max_children: int, keep: bool) -> None:
    if shutil.which("mutmut") is None and subprocess.run([sys.executable, "-c", "import mutmut"]).returncode:
        raise click.ClickException("mutmut is not installed: pip install -e '.[mutation]'")
    os.chdir(ROOT)
    if not keep:
        shutil.rmtree(MUTANTS, ignore_errors=True)
    started = time.monotonic()
    mutmut("run", "--max-children", str(max_children), quiet=True)
    minutes = (time.monotonic() - started) / 60
    mutants = results()
    by_module: dict[str, Counter[str]] = defaultdict(Counter)
    for mutant in mutants:
        by_module[mutant["module"]][mutant["status"]] += 1
    rows = []
    for module, counts in [*sorted(by_module.items()), ("all", sum(by_module.values(), Counter()))]:
        total = sum(counts.values())
        unnoticed = sum(counts[status] for status in SURVIVED)
        rows.append([module, str(total), str(counts[KILLED]), str(counts["survived"]), str(counts["no tests"]),
                     str(total - counts[KILLED] - unnoticed), f"{counts[KILLED] / total:.1%}" if total else "-"])
    print(f"mutmut {max_children} at once, {minutes:.1f} min\n")
    print(table(["module", "mutants", "killed", "survived", "no tests", "other", "score"], rows))
    survivors = [mutant for mutant in mutants if mutant["status"] in SURVIVED]
    print(f"\n{len(survivors)} survivors (score = killed / mutants; 'other' is timeouts and the like)")
    for mutant in survivors:
        print(f"\n## {mutant['module']}.{function_name(mutant['function'])} ({mutant['name']}, {mutant['status']})")
        print(diff(mutant["name"]).strip())


if __name__ == "__main__":
    main()
