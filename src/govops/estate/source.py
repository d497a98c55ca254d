"""YAML files loaded with their node trees, so any value can be traced back to its line.

Parsing uses libyaml (CSafeLoader) to compose nodes; construction reuses PyYAML's safe
constructor on those nodes, so loading costs about what a plain `yaml.load` costs, and the
node tree is kept only to answer "which line?" when something is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govops.estate.errors import Problem

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceFile:
    """One YAML file: its path, its constructed data and its node tree."""

    path: str
    data: Any
    root: yaml.Node | None

    def line_of(self, path: Sequence[Any] = ()) -> int:
        """1-based line of the value at `path` (keys and list indexes); a missing step stops early.

        The last step, when it is a mapping key, answers with the key's own line, which is the
        line a person looks at for "unknown field" or "wrong type".
        """
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for step in path:
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == str(step):
                        line, node = key.start_mark.line + 1, value
                        break
                else:
                    continue  # a step pydantic adds (e.g. a union tag): skip it
            elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
                if 0 <= step < len(node.value):
                    node = node.value[step]
                    line = node.start_mark.line + 1
                else:
                    break
            else:
                break
        return line

    def problem(self, path: Sequence[Any], message: str) -> Problem:
        """A Problem located at `path` in this file."""
        return Problem(self.path, self.line_of(path), message)


def load_yaml(path: Path) -> SourceFile:
    """Load one YAML file with locations; a syntax error becomes a located Problem."""
    text = path.read_text(encoding="utf-8")
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or str(exc)
        raise SourceProblem(Problem(str(path), line, f"YAML syntax: {what}: fix the file")) from exc
    if root is None:
        return SourceFile(str(path), None, None)
    constructor = _Loader("")
    data = constructor.construct_document(root)
    return SourceFile(str(path), data, root)


class SourceProblem(Exception):
    """A file that cannot be parsed at all."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem
