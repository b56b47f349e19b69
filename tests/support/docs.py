"""The documentation as tests read it: its pages, their code blocks, the shell commands in
them and the answers shown under those commands, and the site built from it.

A page's code block is found by its page and its title (``title="..."`` in the fence, which the
site shows above the block), so a test runs exactly what a reader copies.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType

from . import ROOT

DOCS = ROOT / "docs"
FENCE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[\w+-]*)(?P<attrs>[^\n]*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
TITLE = re.compile(r'title="([^"]*)"')
MOCK_URL = "http://127.0.0.1:8000"
"""Where the pages say the mock is; a test swaps in its own server's address."""
SHELLS = ("sh", "bash", "shell", "console")


@dataclass(frozen=True)
class CodeBlock:
    page: str
    """Its file, relative to the repository: ``docs/integrators/tokens.md``, ``README.md``."""
    line: int
    lang: str
    title: str | None
    text: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """Every Markdown file of the site: the pages under ``docs/`` and the README, its home page."""
    return [ROOT / "README.md", *sorted(path for path in DOCS.rglob("*.md") if "hooks" not in path.parts)]


@cache
def code_blocks(page: str) -> tuple[CodeBlock, ...]:
    text = (ROOT / page).read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        title = TITLE.search(match["attrs"])
        body = "\n".join(line.removeprefix(match["indent"]) for line in match["body"].splitlines())
        blocks.append(CodeBlock(page, text.count("\n", 0, match.start()) + 1, match["lang"],
                                title.group(1) if title else None, body + "\n"))
    return tuple(blocks)


def all_code_blocks() -> list[CodeBlock]:
    return [block for path in pages() for block in code_blocks(path.relative_to(ROOT).as_posix())]


def python_block(page: str, title: str) -> CodeBlock:
    """The Python block titled ``title`` on ``page``; a test that runs it names it so."""
    found = [block for block in code_blocks(page) if block.lang == "python" and block.title == title]
    assert len(found) == 1, f"{page} has {len(found)} Python blocks titled {title!r}"
    return found[0]


def shell_blocks(page: str, section: str | None = None) -> list[CodeBlock]:
    """The page's shell blocks; with ``section`` (a heading, ``## A short tour``), those under it only."""
    blocks = [block for block in code_blocks(page) if block.lang in SHELLS]
    if section is None:
        return blocks
    lines = (ROOT / page).read_text(encoding="utf-8").splitlines()
    level = section.split(" ", 1)[0]
    start = lines.index(section) + 1
    end = next((number for number, line in enumerate(lines[start:], start=start)
                if line.startswith("#") and line.split(" ", 1)[0] in {level[:n] for n in range(1, len(level) + 1)}),
               len(lines))
    return [block for block in blocks if start < block.line <= end]


# -- shell steps and the answers shown under them -----------------------------------------------


@dataclass(frozen=True)
class Step:
    """One command of a shell block (continuation lines joined) and the answer shown under it
    (the ``#`` lines that follow it, a line indented further continuing the one before), if any."""

    where: str
    command: str
    shown: str | None


def steps(block: CodeBlock) -> list[Step]:
    found: list[Step] = []
    command: list[str] = []
    shown: list[str] = []
    start = 0

    def close() -> None:
        if command:
            found.append(Step(f"{block.page}:{block.line + start}", "\n".join(command),
                              "\n".join(shown) if shown else None))
        command.clear()
        shown.clear()

    for number, line in enumerate(block.text.splitlines(), start=1):
        if line.startswith("#") and command and not command[-1].endswith("\\"):
            body = line[1:]
            if body.startswith("  ") and shown:
                shown[-1] += body.strip()
            else:
                shown.append(body.strip())
        elif line.startswith("#") or not line.strip():
            close()
        elif command and command[-1].endswith("\\"):
            command.append(line)
        else:
            close()
            start = number
            command.append(line)
    close()
    return found


def answer_matches(shown: str, answered: str) -> bool:
    """Whether ``answered`` is what ``shown`` says, where ``...`` stands for anything."""
    pattern = ".*?".join(re.escape(part) for part in shown.strip().split("..."))
    return re.fullmatch(pattern, answered.strip(), re.S) is not None


@dataclass(frozen=True)
class Ran:
    step: Step
    output: str
    """What it printed (stdout and stderr), the mock's address written back as the pages show it."""
    status: int


def run_steps(page_steps: list[Step], url: str, env: dict[str, str], cwd: Path) -> list[Ran]:
    """Run the steps as a reader pastes them into one terminal, against the mock at ``url``: in
    bash, one shell's variables carried from step to step, except that a bare ``balances-mock``
    command line runs in-process through click's runner (an interpreter per call costs a
    second), with ``env`` as its environment."""
    ran: list[Ran] = []
    shell: list[Step] = []
    state = cwd / ".shell-state"
    for step in page_steps:
        args = bare_command(step.command)
        if args is None:
            shell.append(step)
            continue
        ran += _in_bash(shell, url, env, cwd, state)
        shell = []
        from click.testing import CliRunner

        from mock_server.commands.main import main

        result = CliRunner().invoke(main, args, env=env)
        ran.append(Ran(step, result.output, result.exit_code))
    return ran + _in_bash(shell, url, env, cwd, state)


def bare_command(command: str) -> list[str] | None:
    """The arguments of a ``balances-mock`` command line that needs no shell: no variable, no
    pipe or redirection, one line; None for anything else."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    if tokens[:1] != ["balances-mock"] or "\n" in command or any("$" in token or token in OPERATORS
                                                                for token in tokens):
        return None
    return tokens[1:]


def _in_bash(page_steps: list[Step], url: str, env: dict[str, str], cwd: Path, state: Path) -> list[Ran]:
    if not page_steps:
        return []
    marker = "@@step-done@@"
    script = (f"set -a -u\n[ -f {state} ] && source {state}\n"
              + "".join(f"{{ {step.command.replace(MOCK_URL, url)}\n}} 2>&1; status=$?; echo; echo {marker} $status\n"
                        for step in page_steps)
              + f"export -p > {state}\n")
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=cwd,
                            env={**os.environ, **env})
    parts = re.split(rf"\n{marker} (\d+)\n", result.stdout)
    assert len(parts) == 2 * len(page_steps) + 1, f"the steps stopped early: {result.stdout}{result.stderr}"
    host = url.removeprefix("http://")
    return [Ran(step, parts[2 * index].replace("\r\n", "\n").replace(url, MOCK_URL).replace(host, "127.0.0.1:8000"),
                int(parts[2 * index + 1]))
            for index, step in enumerate(page_steps)]


# -- balances-mock and pytest command lines ------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    where: str
    program: str
    """``balances-mock`` or ``pytest``."""
    args: tuple[str, ...]


SHELL_VARIABLES = {"s": "default"}
"""What a variable of a shown loop stands for, to check its command; any other is ``value``."""
OPERATORS = {"|", "||", "&", "&&", ";", ">", ">>", "<", "(", ")", "2>", "&>"}


def _expand(token: str) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda match: SHELL_VARIABLES.get(match.group(1), "value"), token)


def invocations(block: CodeBlock) -> list[Invocation]:
    """Every ``balances-mock`` (or ``python -m mock_server``) and ``pytest`` command line of a
    shell or YAML block, up to the first shell operator. ``docker run ... balances-mock ARGS``
    counts: the image's entry point is the command; the image built (``-t balances-mock``) does not."""
    found = []
    text = block.text.replace("\\\n", " ")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = list(lexer)
        except ValueError:  # a YAML line with an unbalanced quote is no command line
            continue
        for index, token in enumerate(tokens):
            if index and tokens[index - 1] in ("install", "-t", "--tag"):  # a package, or an image being built
                continue
            named = "=" not in token and token.rsplit("/", 1)[-1] in ("balances-mock", "pytest")
            if named or tokens[index:index + 3] == ["-m", "mock_server"]:
                skip = 3 if token == "-m" else 1
                program = "pytest" if token.endswith("pytest") else "balances-mock"
                args = []
                for arg in tokens[index + skip:]:
                    if arg in OPERATORS:
                        break
                    args.append(_expand(arg))
                found.append(Invocation(f"{block.page}:{block.line + number}", program, tuple(args)))
                break
    return found


# -- the site ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuiltSite:
    folder: Path
    returncode: int
    output: str


def build_site(folder: Path) -> BuiltSite:
    """``mkdocs build --strict`` into ``folder``, as a reader of the README runs it."""
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return BuiltSite(folder, result.returncode, result.stdout + result.stderr)


PYTHON_EXAMPLES = {
    ("docs/integrators/tokens.md", "Authlib"): "tests/process/test_oauth_libraries.py",
    ("docs/integrators/tokens.md", "requests-oauthlib"): "tests/process/test_oauth_libraries.py",
    ("docs/integrators/tokens.md", "the generated SDK"): "tests/process/test_generated_sdk.py",
    ("docs/integrators/mock.md", "embedding.py"): "tests/http/test_docs_examples.py",
    ("docs/integrators/pytest-plugin.md", "test_sync.py"): "tests/process/test_pytest_plugin.py",
    ("docs/integrators/pytest-plugin.md", "test_whale.py"): "tests/process/test_pytest_plugin.py",
}
"""Every Python block of the site, by page and title, and the test file that runs it."""


@cache
def hook(name: str) -> ModuleType:
    """A module of ``docs/hooks/``, imported by its path as MkDocs imports it (its folder on the
    path meanwhile, so ``site`` finds ``reference``)."""
    folder = DOCS / "hooks"
    sys.path.insert(0, str(folder))
    try:
        spec = importlib.util.spec_from_file_location(f"docs_hooks_{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(folder))
