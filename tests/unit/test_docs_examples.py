"""The documentation's examples cannot rot unseen: every ``balances-mock`` command a page shows
is a real command with real options, every Python block is run by a test, and the reader of
shown answers that the process tests use reads them right."""

from __future__ import annotations

import click
import pytest

from contract_tests.options import OPTIONS
from mock_server.commands.main import main
from mock_server.testing import pytest_plugin

from ..support import ROOT
from ..support.docs import (
    PYTHON_EXAMPLES,
    SHELLS,
    CodeBlock,
    Invocation,
    all_code_blocks,
    answer_matches,
    invocations,
    steps,
)

CONTRACT_FLAGS = {option.flag for option in OPTIONS} | {"--junitxml", "-m", "-k"}


def plugin_flags() -> set[str]:
    """The options the balances_mock pytest plugin adds, as its own ``pytest_addoption`` adds them."""
    added: set[str] = set()

    class Group:
        def addoption(self, *names: str, **_: object) -> None:
            added.update(names)

    class Parser:
        def getgroup(self, *_: object) -> Group:
            return Group()

    pytest_plugin.pytest_addoption(Parser())
    return added


def check(invocation: Invocation) -> None:
    """Parse the invocation as its program would: click's for ``balances-mock``; for ``pytest``, the
    contract suite's options after ``contract_tests`` and the plugin's ``--balances-mock-*``.
    Raises where it would refuse it."""
    if invocation.program == "pytest":
        flags = [arg.split("=")[0] for arg in invocation.args if arg.startswith("-")]
        if invocation.args[:1] == ("contract_tests",):
            unknown = [flag for flag in flags if flag not in CONTRACT_FLAGS]
        else:
            unknown = [flag for flag in flags if flag.startswith("--balances-mock") and flag not in plugin_flags()]
        if unknown:
            raise click.UsageError(f"pytest {' '.join(invocation.args[:1])} has no option {unknown}")
        return
    command: click.Command = main
    args = list(invocation.args)
    name = "balances-mock"
    while isinstance(command, click.Group) and args:  # a group alone prints its help (the image: serve)
        sub = command.get_command(click.Context(command), args[0])
        if sub is None:
            raise click.UsageError(f"{name} has no command {args[:1]}")
        name = f"{name} {args.pop(0)}"
        command = sub
    if isinstance(command, click.Group):  # alone, it prints its help; the image's alone serves
        return
    command.make_context(name, args)


def shown_invocations() -> list[Invocation]:
    return [invocation for block in all_code_blocks() if block.lang in (*SHELLS, "yaml")
            for invocation in invocations(block)]


def test_every_command_the_pages_show_is_a_real_one():
    found = shown_invocations()
    assert len(found) >= 25, [f"{invocation.where}: {invocation.args}" for invocation in found]
    commands = {invocation.args[0] for invocation in found if invocation.program == "balances-mock" and invocation.args}
    assert commands >= {"serve", "fixtures", "record", "contract", "sandbox", "proxy", "ready"}
    refused = []
    for invocation in found:
        try:
            check(invocation)
        except click.ClickException as error:
            shown = f"{invocation.program} {' '.join(invocation.args)}"
            refused.append(f"{invocation.where}: {shown}: {error.format_message()}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize("line", [
    "balances-mock serve --no-such-option",
    "balances-mock sandbox deposit USDTERC20",
    "balances-mock serve --port many",
    "balances-mock servo",
    "pytest contract_tests --base-url http://x --clientid demo",
    "pytest --balances-mock-scenarios dust",
])
def test_a_made_up_command_or_option_is_refused(line):
    [invocation] = invocations(CodeBlock("page.md", 1, "sh", None, line + "\n"))
    with pytest.raises(click.ClickException):
        check(invocation)


def test_a_command_is_read_up_to_the_shell_and_across_continuations():
    block = CodeBlock("page.md", 1, "sh", None, "X=$(balances-mock sandbox deposit ETH 0.5 --json | jq -r .a)\n"
                      "balances-mock fixtures --scenario $s \\\n   --out qa/x   # a comment\n"
                      "      - run: balances-mock contract \"$URL\" --junitxml c.xml\n"
                      "docker build -t balances-mock . && docker run --rm -v qa:/data balances-mock fixtures --list\n"
                      "BALANCES_MOCK_IMAGE=balances-mock node --test x.js\n")
    assert [invocation.args for invocation in invocations(block)] == [
        ("sandbox", "deposit", "ETH", "0.5", "--json"), ("fixtures", "--scenario", "default", "--out", "qa/x"),
        ("contract", "value", "--junitxml", "c.xml"), ("fixtures", "--list")]


def test_every_python_block_is_run_by_a_test():
    blocks = {(block.page, block.title): block for block in all_code_blocks() if block.lang in ("python", "py")}
    assert (untitled := [block.where for (page, title), block in blocks.items() if title is None]) == [], (
        f"give each Python block a title=\"...\" and a test that runs it: {untitled}")
    assert set(blocks) == set(PYTHON_EXAMPLES), "tests/support/docs.py's PYTHON_EXAMPLES must list every block"
    for (page, title), test_file in PYTHON_EXAMPLES.items():
        source = (ROOT / test_file).read_text(encoding="utf-8")
        assert repr(title) in source or f'"{title}"' in source, f"{test_file} does not run {page}'s {title!r}"


def test_steps_read_commands_and_the_answers_shown_under_them():
    block = CodeBlock("page.md", 10, "sh", None,
                      "# A description\ncurl -s \\\n  http://x/\n# {\"a\":1,\n#   \"b\":2}\n# second line\n\n"
                      "TOKEN=$(echo t)\n\n# a description of what follows\necho done\n")
    found = steps(block)
    assert [(step.where, step.command, step.shown) for step in found] == [
        ("page.md:12", "curl -s \\\n  http://x/", '{"a":1,"b":2}\nsecond line'),
        ("page.md:18", "TOKEN=$(echo t)", None),
        ("page.md:21", "echo done", None)]


@pytest.mark.parametrize(("shown", "answered", "matches"), [
    ('{"token":"eyJ...","ttl":3600}', '{"token":"eyJhbGc.x.y","ttl":3600}\n', True),
    ('{"token":"eyJ...","ttl":3600}', '{"token":"eyJhbGc.x.y","ttl":7200}', False),
    ('{"a":1}', '{"a":1,"b":2}', False),
    ("HTTP/1.1 429 Too Many Requests\n...\nretry-after: 42", "HTTP/1.1 429 Too Many Requests\ndate: x\nretry-after: 42",
     True),
])
def test_a_shown_answer_matches_only_what_it_shows(shown, answered, matches):
    assert answer_matches(shown, answered) is matches
