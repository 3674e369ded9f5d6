"""A Sphinx directive that renders a table of a benchmark report as a real table.

``benchmarks/bench_close.py`` prints its results as Markdown-style pipe
tables, each under a title line.  The report is saved as it was printed
(``docs/_data/*.txt``), and the page picks its tables out by title:

.. code-block:: rst

   .. closeframe-report-table:: _data/timings.txt
      :title: Parse a close payload: time per call (ratio to floor)

The table becomes a ``list-table`` (header row, every cell literal text), so
a new run updates the page by replacing the file, and no number is copied
by hand.  A title not found, or a table with ragged rows, fails the build.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective


def _literal(cell: str) -> str:
    """A report cell as plain reST text: ``*`` and ``+`` marks stay characters."""
    text = re.sub(r"([\\`*_|])", r"\\\1", cell)
    # A cell of only "-" (no value) or starting with "+" would read as a list.
    return f"\\{text}" if text[:1] in "-+" else text


def pipe_table(report: str, title: str) -> list[list[str]]:
    """The rows (header first) of the pipe table that follows the line *title*."""
    lines = report.splitlines()
    try:
        start = [line.strip() for line in lines].index(title)
    except ValueError:
        raise ValueError(f"no table titled {title!r} in the report") from None
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if not stripped and not rows:
            continue  # the blank line between the title and its table
        if not stripped.startswith("|"):
            break
        if set(stripped) <= set("|-"):
            continue  # the rule under the header
        rows.append([cell.strip() for cell in stripped.strip("|").split("|")])
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        raise ValueError(f"the table titled {title!r} is empty or ragged")
    return rows


def list_table(title: str, rows: list[list[str]]) -> list[str]:
    lines = [f".. list-table:: {_literal(title)}", "   :header-rows: 1", ""]
    for row in rows:
        first, *rest = row
        lines.append(f"   * - {_literal(first)}")
        lines.extend(f"     - {_literal(cell)}" for cell in rest)
    return lines


class ReportTable(SphinxDirective):
    """``.. closeframe-report-table:: FILE`` with ``:title:``: one table of a saved report."""

    required_arguments = 1
    option_spec = {"title": directives.unchanged_required}  # noqa: RUF012 (docutils' API)

    def run(self) -> list[nodes.Node]:
        relative, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(relative)
        title = self.options["title"]
        try:
            rows = pipe_table(Path(path).read_text(encoding="utf-8"), title)
        except (OSError, ValueError) as exc:
            raise self.error(f"{self.arguments[0]}: {exc}") from exc
        container = nodes.container()
        source = self.get_source_info()[0] or "<closeframe-report-table>"
        self.state.nested_parse(StringList(list_table(title, rows), source=source), 0, container)
        return [container]


def setup(app: Sphinx) -> dict[str, object]:
    app.add_directive("closeframe-report-table", ReportTable)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
