"""MkDocs hooks: the site is built from the repository as it is, nothing copied into ``docs/``.

* The root files a reader of the site needs (README.md as the home page, ARCHITECTURE.md,
  CHANGELOG.md, BENCHMARKS.md, RELIABILITY.md) are included as pages, read from where they are.
* A page's links are written as paths in the repository, so they work on any forge; here they
  become links to the pages those files are in the site (``docs/x.md`` is ``x.md``, a spec is
  its rendered reference page). A link to a file the site does not hold fails the build.
* A line ``::: generated NAME [ARGUMENT]`` is replaced by the reference ``reference.py``
  renders from the code and the specs.
* The commands' reference (mkdocs-click) shows no click-internal marker as a default.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from reference import RENDERERS

ROOT = Path(__file__).resolve().parents[2]

INCLUDED = {
    "README.md": "index.md",
    "ARCHITECTURE.md": "architecture.md",
    "CHANGELOG.md": "changelog.md",
    "BENCHMARKS.md": "performance/benchmarks.md",
    "RELIABILITY.md": "performance/reliability.md",
}
"""Root files shown as pages: where each is in the repository, and in the site."""

RENDERED = {
    "spec/openapi.yaml": "reference/api.md",
    "spec/sandbox.yaml": "reference/sandbox-api.md",
}
"""Files of the repository that the site shows rendered on a page of their own."""

GENERATED = re.compile(r"^::: generated ([a-z-]+)(?: (\S+))?[ \t]*$", re.M)
LINK = re.compile(r"(!?\[[^\]\n]*\])\(([^)\s]+)((?:\s+\"[^\"]*\")?)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.M | re.S)
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for source, page in INCLUDED.items():
        files.append(File.generated(config, page, abs_src_path=str(ROOT / source)))
    return files


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    source = Path(page.file.abs_src_path).resolve().relative_to(ROOT).as_posix()
    markdown = GENERATED.sub(lambda match: _generate(match, source), markdown)
    return _outside_fences(markdown, lambda text: LINK.sub(lambda match: _relink(match, source, page, files), text))


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """mkdocs-click 0.9 shows click 8.3's marker for "no default" as a default
    (mkdocs/mkdocs-click#95, open): shown as mkdocs-click shows a missing default on older click."""
    return html.replace("<td><code>Sentinel.UNSET</code></td>", "<td>None</td>")


def _generate(match: re.Match[str], source: str) -> str:
    name, argument = match.group(1), match.group(2)
    if name not in RENDERERS:
        raise PluginError(f"{source}: no generator named {name!r}; there are {', '.join(sorted(RENDERERS))}")
    render = RENDERERS[name]
    return render(argument) if argument else render()


def _outside_fences(markdown: str, change) -> str:
    """``change`` applied to the text between code fences only: a link in an example stays as written."""
    out, position = [], 0
    for fence in FENCE.finditer(markdown):
        out += [change(markdown[position:fence.start()]), fence.group(0)]
        position = fence.end()
    out.append(change(markdown[position:]))
    return "".join(out)


def site_path(repo_path: str) -> str | None:
    """Where the file at ``repo_path`` (relative to the repository's root) is in the site, if it is."""
    if repo_path.startswith("docs/"):
        return repo_path.removeprefix("docs/")
    return INCLUDED.get(repo_path) or RENDERED.get(repo_path)


def _relink(match: re.Match[str], source: str, page: Page, files: Files) -> str:
    text, target, title = match.groups()
    if SCHEME.match(target) or target.startswith(("#", "/")):
        return match.group(0)
    path, hash_, anchor = target.partition("#")
    repo_path = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
    site = site_path(repo_path)
    if site is None or files.get_file_from_path(site) is None:
        raise PluginError(f"{source}: the link to {target!r} ({repo_path}) leads to no page of the site; link to a "
                          f"page, or write the path as code")
    relative = posixpath.relpath(site, posixpath.dirname(page.file.src_uri) or ".")
    return f"{text}({relative}{hash_}{anchor}{title})"
