"""YAML files loaded with their node trees, so any value can be traced back to its line.

Parsing uses libyaml (CSafeLoader) to compose nodes; construction reuses PyYAML's safe
constructor on those nodes, so loading costs about what a plain `yaml.load` costs, and the
node tree is kept only to answer "which line?" when something is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from govops.estate.errors import Problem
from govops.estate.reading import SourceProblem, read_text

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class SourceFile:
    """One YAML file: its path, its constructed data and its node tree."""

    path: str
    data: Any
    root: yaml.Node | None
    problems: list[Problem] = field(default_factory=list)

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
    """Load one YAML file with locations.

    A file that cannot be read or parsed at all raises SourceProblem (one located line);
    duplicate keys are collected in `SourceFile.problems`, so the rest of the file is still
    checked and every mistake is reported at once.
    """
    text = read_text(path)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise SourceProblem(_syntax(path, exc)) from exc
    except yaml.YAMLError as exc:  # a reader error: a character YAML does not allow
        raise SourceProblem(_reader(path, text, exc)) from exc
    if root is None:
        return SourceFile(str(path), None, None)
    constructor = _Constructor()
    try:
        data = constructor.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        raise SourceProblem(_syntax(path, exc)) from exc
    except RecursionError as exc:
        raise SourceProblem(Problem(str(path), 1, "nested too deeply to be an estate file: "
                                    "flatten it")) from exc
    source = SourceFile(str(path), data, root)
    source.problems = [_duplicate(path, root, key, first) for key, first in constructor.duplicates]
    return source


def _syntax(path: Path, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    what = exc.problem or str(exc)
    tag = _TAG.search(what)
    if tag:
        return Problem(str(path), line, f"YAML tag !{tag.group(1)} is not allowed in an estate "
                       "file (plain values only): remove it")
    return Problem(str(path), line, f"YAML syntax: {what}: fix the file")


_TAG = re.compile(r"constructor for the tag '(?:tag:yaml\.org,2002:)?([^']*)'")
#: Characters YAML 1.1 does not allow in a stream.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _reader(path: Path, text: str, exc: yaml.YAMLError) -> Problem:
    bad = _NOT_YAML.search(text)
    if bad is None:
        return Problem(str(path), 1, f"YAML cannot read the file ({exc}): fix it")
    line = text.count("\n", 0, bad.start()) + 1
    return Problem(str(path), line, f"character U+{ord(bad.group()):04X} is not allowed in YAML: "
                   "remove it")


def _duplicate(path: Path, root: yaml.Node, key: yaml.Node, first: yaml.Node) -> Problem:
    line, first_line = key.start_mark.line + 1, first.start_mark.line + 1
    where = f"twice on line {line}" if line == first_line else f"lines {first_line} and {line}"
    if isinstance(root, yaml.MappingNode) and any(k is key for k, _ in root.value):
        return Problem(str(path), line, f'section "{key.value}" appears twice ({where}): merge '
                       "them into one")
    return Problem(str(path), line, f'duplicate key "{key.value}" ({where}): the second would '
                   "silently replace the first; keep one")


class _Constructor(yaml.constructor.SafeConstructor):
    """PyYAML's safe constructor, noting every key written twice in one mapping."""

    def __init__(self) -> None:
        super().__init__()
        self.duplicates: list[tuple[yaml.Node, yaml.Node]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """The mapping, as PyYAML builds it; repeated scalar keys are recorded first."""
        if isinstance(node, yaml.MappingNode) and len(node.value) > 1 and \
                len({k.value if isinstance(k, yaml.ScalarNode) else id(k)
                     for k, _ in node.value}) < len(node.value):
            seen: dict[tuple[str, str], yaml.Node] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    ident = (key.tag, key.value)
                    if ident in seen:
                        self.duplicates.append((key, seen[ident]))
                    else:
                        seen[ident] = key
        return super().construct_mapping(node, deep=deep)


__all__ = ["SourceFile", "SourceProblem", "load_yaml", "read_text"]
