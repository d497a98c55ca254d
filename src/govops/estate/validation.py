"""Turn pydantic validation errors into located, plain-language problems."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from govops.estate.errors import Problem, did_you_mean
from govops.estate.source import SourceFile

_TYPE_WORDS = {
    "int_parsing": "an integer",
    "int_type": "an integer",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "a string",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _fields_at(model: type[BaseModel] | None, loc: Sequence[Any]) -> list[str]:
    """Field names allowed at `loc` inside `model`, best effort, for "did you mean"."""
    current: Any = model
    for step in loc:
        if isinstance(step, int) or current is None:
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or step not in fields:
            return list(fields or ())
        annotation = fields[step].annotation
        current = _model_in(annotation)
    return list(getattr(current, "model_fields", {}) or ())


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _model_in(arg)
        if found is not None:
            return found
    metadata_origin = getattr(annotation, "__origin__", None)
    if metadata_origin is not None and isinstance(metadata_origin, type):
        if issubclass(metadata_origin, BaseModel):
            return metadata_origin
    return None


def describe(error: dict[str, Any], model: type[BaseModel] | None) -> str:
    """One plain sentence for one pydantic error, with the fix."""
    loc = [s for s in error["loc"] if not (isinstance(s, str) and s[:1].isupper())]
    field = str(loc[-1]) if loc and not isinstance(loc[-1], int) else "value"
    if len(loc) > 1 and isinstance(loc[-1], int) and not isinstance(loc[-2], int):
        field = f"{loc[-2]}[{loc[-1]}]"  # an item of a list field: ntp_servers[1]
    kind = error["type"]
    if kind == "extra_forbidden":
        allowed = _fields_at(model, loc[:-1])
        hint = did_you_mean(field, allowed)
        if not hint and allowed:
            hint = f" (allowed: {', '.join(sorted(allowed))})"
        return f'unknown field "{field}"{hint}: remove it or fix its spelling'
    if kind == "missing":
        return f'missing required field "{field}": add it'
    if kind in _TYPE_WORDS:
        return f'field "{field}": expected {_TYPE_WORDS[kind]}, got {error.get("input")!r}'
    if kind == "string_pattern_mismatch" and isinstance(error.get("input"), str):
        from govops.estate.model import DNS_LABEL, identifier_problem

        dns = error.get("ctx", {}).get("pattern") == DNS_LABEL.pattern
        return f'field "{field}": {identifier_problem(error["input"], dns)}'
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f'field "{field}": {error.get("input")!r} is not one of {expected}'
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f'field "{field}": {message} (got {error.get("input")!r})'


def pydantic_problems(
    exc: ValidationError,
    source: SourceFile,
    prefix: Sequence[Any],
    model: type[BaseModel] | None = None,
    label: str = "",
) -> list[Problem]:
    """Located problems for every error of `exc`; `prefix` is the YAML path of the value."""
    problems = []
    for error in exc.errors():
        path = [*prefix, *error["loc"]]
        text = describe(error, model)
        problems.append(source.problem(path, f"{label}{text}" if label else text))
    return problems
