"""The site's reference, rendered from the code and the specs at build time, never written twice.

Each function returns Markdown for one ``::: generated NAME [ARGUMENT]`` line of a page
(``site.py`` finds the lines): the two contracts (``spec/openapi.yaml``, ``spec/sandbox.yaml``)
operation by operation, the environment variables every command and the contract suite read,
the error codes the specs answer, and the decisions the spec takes where the documentation is
silent. Plain Markdown only: no script, nothing fetched when a page is opened.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "spec"
METHODS = ("get", "post", "put", "patch", "delete")


# -- the specs ------------------------------------------------------------------------------


class Spec:
    """One spec file, with its references (local, or to a sibling file) resolved on demand."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
        self._siblings: dict[str, Spec] = {}

    def resolve(self, node: Any) -> tuple[Any, Spec]:
        """``node`` with its ``$ref`` followed (repeatedly), and the spec it was found in."""
        spec = self
        while isinstance(node, dict) and "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            if target:
                name = Path(target).name
                if name not in spec._siblings:
                    spec._siblings[name] = Spec(spec.path.parent / name)
                spec = spec._siblings[name]
            node = spec.document
            for part in pointer.strip("/").split("/"):
                node = node[part.replace("~1", "/").replace("~0", "~")]
        return node, spec

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        for path, item in self.document["paths"].items():
            for method in METHODS:
                if method in item:
                    yield path, method, item[method]


def _one_line(text: str | None) -> str:
    """A description for a table cell: one line, pipes escaped."""
    return " ".join((text or "").split()).replace("|", "\\|")


def _schema_summary(schema: dict[str, Any], spec: Spec) -> str:
    """A schema as a short phrase: type, format, bounds, pattern, enum, default."""
    schema, spec = spec.resolve(schema)
    kind = schema.get("type", "object" if "properties" in schema else "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    parts = [f"{kind}" + (f" ({schema['format']})" if "format" in schema else "")]
    for key, label in (("minimum", "min"), ("maximum", "max"), ("minLength", "min length"),
                       ("maxLength", "max length"), ("pattern", "pattern"), ("default", "default")):
        if key in schema:
            parts.append(f"{label} `{schema[key]}`")
    if "enum" in schema:
        parts.append("one of " + ", ".join(f"`{value}`" for value in schema["enum"]))
    return ", ".join(parts)


def _example_values(content: dict[str, Any], spec: Spec) -> Iterator[tuple[str, Any]]:
    """Each (name, value) example of a media type, the single ``example`` included."""
    if "example" in content:
        yield "example", content["example"]
    for name, example in (content.get("examples") or {}).items():
        example, _ = spec.resolve(example)
        if "value" in example:
            yield name, example["value"]


def _json_block(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```"


def _security(operation: dict[str, Any], spec: Spec) -> str:
    requirements = operation.get("security", spec.document.get("security", []))
    described = []
    for requirement in requirements:
        if not requirement:
            described.append("credentials in the form body")
        for scheme, scopes in requirement.items():
            scheme_doc = spec.document["components"]["securitySchemes"].get(scheme, {})
            if scheme_doc.get("type") == "oauth2":
                described.append("a bearer token with " + " and ".join(f"`{scope}`" for scope in scopes)
                                 if scopes else "a bearer token")
            else:
                described.append(f"`{scheme}` ({scheme_doc.get('scheme', scheme_doc.get('type'))})")
    return " or ".join(described) if described else "none"


def render_operations(spec_name: str) -> str:
    """Every operation of ``spec/<spec_name>``: what it needs, what it takes, what it answers."""
    spec = Spec(SPECS / spec_name)
    info = spec.document["info"]
    out = [f"*Rendered from [`spec/{spec_name}`](../../spec/{spec_name}), "
           f"{info['title']} {info['version']}.*", ""]
    for path, method, operation in spec.operations():
        out += [f"## `{method.upper()} {path}`", "", f"**{operation.get('summary', '')}** "
                f"(`{operation.get('operationId', '')}`). Needs {_security(operation, spec)}.", "",
                (operation.get("description") or "").strip(), ""]
        parameters = [spec.resolve(parameter)[0] for parameter in operation.get("parameters", [])]
        if parameters:
            out += ["| parameter | in | schema | required | description |", "|---|---|---|---|---|"]
            for parameter in parameters:
                decisions = ", ".join(parameter.get("x-decisions", []))
                note = f" Decisions: {decisions}." if decisions else ""
                out.append(f"| `{parameter['name']}` | {parameter['in']} | "
                           f"{_schema_summary(parameter.get('schema', {}), spec)} | "
                           f"{'yes' if parameter.get('required') else 'no'} | "
                           f"{_one_line(parameter.get('description'))}{note} |")
            out.append("")
        body = operation.get("requestBody")
        if body:
            body, body_spec = spec.resolve(body)
            for media, content in body.get("content", {}).items():
                schema, schema_spec = body_spec.resolve(content.get("schema", {}))
                out += [f"Request body (`{media}`{', required' if body.get('required') else ''}):", ""]
                properties = schema.get("properties", {})
                if properties:
                    out += ["| field | schema | required | description |", "|---|---|---|---|"]
                    for name, field in properties.items():
                        field_resolved, _ = schema_spec.resolve(field)
                        out.append(f"| `{name}` | {_schema_summary(field, schema_spec)} | "
                                   f"{'yes' if name in schema.get('required', []) else 'no'} | "
                                   f"{_one_line(field_resolved.get('description'))} |")
                    out.append("")
                for name, value in _example_values(content, body_spec):
                    out += [f"Example `{name}`:", "", _json_block(value), ""]
        out += ["| status | meaning | headers |", "|---|---|---|"]
        answers = []
        for status, response in operation.get("responses", {}).items():
            response, response_spec = spec.resolve(response)
            headers = ", ".join(f"`{name}`" for name in response.get("headers", {}))
            out.append(f"| {status} | {_one_line(response.get('description'))} | {headers} |")
            for media, content in response.get("content", {}).items():
                for name, value in _example_values(content, response_spec):
                    answers.append(f"{status} `{name}` (`{media}`):\n\n{_json_block(value)}\n")
        out += ["", *answers]
    return "\n".join(out)


# -- error codes ----------------------------------------------------------------------------


def _codes(value: Any) -> str | None:
    """The error code an example body shows: the envelope's ``error.code`` or RFC 6749's ``error``."""
    if isinstance(value, dict) and isinstance(value.get("error"), dict):
        return value["error"].get("code")
    if isinstance(value, dict) and isinstance(value.get("error"), str):
        return value["error"]
    return None


def error_codes() -> dict[tuple[str, str], dict[str, Any]]:
    """Every error code the specs' examples answer, by its shape (``envelope`` or RFC 6749's
    ``token``) and code: its statuses, the operations that answer it, and a message."""
    codes: dict[tuple[str, str], dict[str, Any]] = {}
    for spec_name in ("openapi.yaml", "sandbox.yaml"):
        spec = Spec(SPECS / spec_name)
        for path, method, operation in spec.operations():
            for status, response in operation.get("responses", {}).items():
                response, response_spec = spec.resolve(response)
                for content in response.get("content", {}).values():
                    for _, value in _example_values(content, response_spec):
                        code = _codes(value)
                        if code is None:
                            continue
                        shape = "token" if isinstance(value["error"], str) else "envelope"
                        entry = codes.setdefault((shape, code), {"statuses": set(), "operations": set(),
                                                                 "message": ""})
                        entry["statuses"].add(str(status))
                        entry["operations"].add(f"{method.upper()} {path}")
                        message = (value["error"].get("message") if isinstance(value["error"], dict)
                                   else value.get("error_description"))
                        entry["message"] = entry["message"] or message or ""
    return codes


def render_error_codes() -> str:
    codes = error_codes()
    out = []
    for shape, title in (("envelope", "In the API's envelope `{\"error\": {\"code\", \"message\", \"details\"}}`"),
                         ("token", "At the token endpoint, RFC 6749's `{\"error\", \"error_description\"}`")):
        out += [f"### {title}", "", "| code | status | answered by | example message |", "|---|---|---|---|"]
        for code in sorted(name for kind, name in codes if kind == shape):
            entry = codes[shape, code]
            operations = "<br>".join(f"`{operation}`" for operation in sorted(entry["operations"]))
            out.append(f"| `{code}` | {', '.join(sorted(entry['statuses']))} | {operations} | "
                       f"{_one_line(entry['message'])} |")
        out.append("")
    return "\n".join(out)


# -- decisions ------------------------------------------------------------------------------


def _section(description: str, heading: str) -> str:
    """The text under the ``## heading`` of a spec's description, up to the next heading."""
    after = description.split(f"## {heading}", 1)[1]
    return after.split("\n## ", 1)[0].strip()


def render_decisions() -> str:
    api = Spec(SPECS / "openapi.yaml")
    sandbox = Spec(SPECS / "sandbox.yaml")
    shaped: dict[str, list[str]] = {}
    for path, method, operation in api.operations():
        for parameter in operation.get("parameters", []):
            parameter, _ = api.resolve(parameter)
            for decision in parameter.get("x-decisions", []):
                shaped.setdefault(decision, []).append(f"`{parameter['name']}` of `{method.upper()} {path}`")
    out = ["## What the contract suite checks, by id", "",
           "*From `x-decisions` in [`spec/openapi.yaml`](../../spec/openapi.yaml). A rule resting on one of these "
           "reports a server that answers otherwise as drift, not a break. "
           "The check is the contract suite's test that holds an implementation to the decision "
           "(`balances-mock contract --strict` fails a server that decides otherwise).*", "",
           "| id | decision | check | shapes |", "|---|---|---|---|"]
    for decision, entry in api.document["x-decisions"].items():
        out.append(f"| `{decision}` | {_one_line(entry['decision'])} | `{entry['check']}` | "
                   f"{', '.join(shaped.get(decision, [])) or '—'} |")
    out += ["", "## The API, in full", "",
            "*From the description of [`spec/openapi.yaml`](../../spec/openapi.yaml).*", "",
            _section(api.document["info"]["description"], "Decisions taken where the public documentation is silent"),
            "", "## The sandbox", "",
            "*From the description of [`spec/sandbox.yaml`](../../spec/sandbox.yaml).*", "",
            _section(sandbox.document["info"]["description"], "Decisions (ours; no payment API dictates them)"), ""]
    return "\n".join(out)


# -- environment variables ------------------------------------------------------------------


def environment_variables() -> dict[str, dict[str, Any]]:
    """Every variable that stands in for an option: of any command (from its click option), and
    of the contract suite (``contract_tests/options.py``, read by ``pytest contract_tests`` and
    ``balances-mock contract``). Each with the commands that read it, its option and its help."""
    import click

    from contract_tests.options import OPTIONS
    from mock_server.commands.main import main

    variables: dict[str, dict[str, Any]] = {}

    def add(name: str, where: str, flag: str, text: str) -> None:
        entry = variables.setdefault(name, {"where": [], "flags": [], "text": text})
        for key, value in (("where", where), ("flags", flag)):
            if value not in entry[key]:
                entry[key].append(value)

    def walk(command: click.Command, prefix: str) -> None:
        for parameter in command.params:
            names = parameter.envvar if isinstance(parameter.envvar, list | tuple) else [parameter.envvar]
            for name in filter(None, names):
                add(name, prefix, max(parameter.opts, key=len), getattr(parameter, "help", "") or "")
        if isinstance(command, click.Group):  # its commands by name: the group imports each when asked
            context = click.Context(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), f"{prefix} {name}")

    for option in OPTIONS:
        default = f" Default: {option.default}." if option.default else ""
        add(option.env, "pytest contract_tests", option.flag, option.help + default)
        add(option.env, "balances-mock contract", option.cli_flag, option.help + default)
    walk(main, "balances-mock")
    return variables


def render_environment() -> str:
    """The variables grouped by the commands that read them, a table per group."""
    groups: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for name, entry in sorted(environment_variables().items()):
        groups.setdefault(_group_sandbox(entry["where"]), []).append((name, entry))
    out = []
    for where, variables in groups.items():
        out += [f"### Read by {where}", "", "| variable | option | what it does |", "|---|---|---|"]
        out += [f"| `{name}` | {' / '.join(f'`{flag}`' for flag in entry['flags'])} | {_one_line(entry['text'])} |"
                for name, entry in variables]
        out.append("")
    return "\n".join(out)


def _group_sandbox(commands: list[str]) -> str:
    """``balances-mock sandbox deposit``, ``... withdraw`` and the rest as one ``balances-mock sandbox *``."""
    sandbox = [command for command in commands if command.startswith("balances-mock sandbox ")]
    others = [command for command in commands if command not in sandbox]
    shown = others + (["balances-mock sandbox ..."] if len(sandbox) > 1 else sandbox)
    return ", ".join(f"`{command}`" for command in shown)


# -- scenarios ------------------------------------------------------------------------------


def render_scenarios() -> str:
    """The named accounts of ``mock_server/ledger/scenarios.py``: name, purpose, length, currencies."""
    from mock_server.ledger.scenarios import SCENARIOS

    out = ["| scenario | what it is for | entries | currencies |", "|---|---|---|---|"]
    for scenario in SCENARIOS.values():
        currencies = scenario.profile.currencies
        shown = ("USDTERC20, USDCERC20, ETH and two picked by the seed" if currencies is None
                 else ", ".join(currencies) or "none")
        out.append(f"| `{scenario.name}` | {_one_line(scenario.summary)} | {scenario.profile.entries:,} | {shown} |")
    return "\n".join(out)


RENDERERS = {
    "scenarios": render_scenarios,
    "operations": render_operations,
    "error-codes": render_error_codes,
    "decisions": render_decisions,
    "environment": render_environment,
}
