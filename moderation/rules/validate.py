"""Validation like a compiler: every problem in every rule file, at once, as ``file:line``.

Passes: read YAML (syntax, duplicate keys) -> parse into frozen models (unknown / missing keys,
bad values) -> semantic checks (duplicate ids, known reasons and fields, lists, regexes, types,
examples behave as declared). Nothing here raises on bad input; ``load.py``'s caller gets the
list of diagnostics, and ``load_ruleset`` turns a non-empty list into RuleValidationError.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from moderation.rules.compile import CompileError, compile_condition
from moderation.rules.diagnostics import Diagnostic
from moderation.rules.examples import ExampleValueError, coerce_value, example_frame
from moderation.rules.load import Located, read_list, read_yaml
from moderation.rules.model import (
    Evidence,
    Examples,
    FieldsFile,
    FieldSpec,
    Provenance,
    ReasonsFile,
    RuleFile,
)
from moderation.rules.ruleset import Rule
from moderation.schema import REASON_CODES

__all__ = [
    "check_fields",
    "check_reasons",
    "check_lists",
    "check_rule_file",
    "check_examples",
    "check_unique_ids",
]

_NESTED: dict[tuple, type[BaseModel]] = {
    (): RuleFile,
    ("examples",): Examples,
    ("provenance",): Provenance,
    ("provenance", "evidence"): Evidence,
}


def did_you_mean(name: str, known) -> str | None:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def _model_errors(exc: ValidationError, located: Located, display: str, models: Mapping[tuple, type[BaseModel]]) -> list[Diagnostic]:
    diags = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        dotted = ".".join(str(p) for p in loc)
        parent = tuple(p for p in loc[:-1])
        model = models.get(tuple(p for p in parent if isinstance(p, str)))
        known = list(model.model_fields) if model else []
        kind = err["type"]
        if kind == "extra_forbidden":
            diags.append(Diagnostic.at(display, located.line(*loc), f"unknown key `{dotted}`",
                                       did_you_mean(loc[-1], known) or f"allowed keys here: {', '.join(known)}"))
        elif kind == "missing":
            diags.append(Diagnostic.at(display, located.line(*parent), f"missing required key `{dotted}`",
                                       f"add `{loc[-1]}:` (see rules/README.md)"))
        elif kind == "literal_error":
            allowed = err.get("ctx", {}).get("expected", "")
            hint = did_you_mean(err["input"], [a.strip(" '") for a in allowed.replace(" or ", ", ").split(",")])
            diags.append(Diagnostic.at(display, located.line(*loc),
                                       f"`{dotted}` must be one of {allowed}. Got {err['input']!r} instead.", hint))
        else:
            got = err.get("input")
            hint = ("quote the value: YAML reads yes/no/on/off/true/false as booleans"
                    if isinstance(got, bool) else None)
            diags.append(Diagnostic.at(display, located.line(*loc),
                                       f"`{dotted}`: {err['msg']}. Got {got!r} instead.", hint))
    return diags


def check_fields(path: Path, display: str) -> tuple[dict[str, FieldSpec], list[Diagnostic]]:
    located, diags = read_yaml(path, display)
    if located is None:
        return {}, diags
    try:
        parsed = FieldsFile.model_validate(located.data)
    except ValidationError as exc:
        return {}, diags + _model_errors(exc, located, display, {(): FieldsFile, ("fields",): FieldSpec})
    fields: dict[str, FieldSpec] = {}
    for index, spec in enumerate(parsed.fields):
        if spec.name in fields:
            diags.append(Diagnostic.at(display, located.line("fields", index), f"field `{spec.name}` is declared twice"))
        fields[spec.name] = spec
    return fields, diags


def check_reasons(path: Path, display: str) -> tuple[dict[str, str], list[Diagnostic]]:
    located, diags = read_yaml(path, display)
    if located is None:
        return {}, diags
    try:
        parsed = ReasonsFile.model_validate(located.data)
    except ValidationError as exc:
        return {}, diags + _model_errors(exc, located, display, {(): ReasonsFile, ("reasons",): ReasonsFile})
    reasons = {r.code: r.meaning for r in parsed.reasons}
    missing = [c for c in REASON_CODES if c not in reasons]
    extra = [c for c in reasons if c not in REASON_CODES]
    if missing or extra:
        diags.append(Diagnostic.at(
            display, located.line("reasons"),
            f"reason codes differ from the taxonomy in moderation/schema.py: missing {missing}, unexpected {extra}",
            "reasons.yaml and moderation.schema.REASON_CODES must list the same codes"))
    return reasons, diags


def check_lists(directory: Path, display_root: Path) -> tuple[dict[str, list[str]], list[Diagnostic]]:
    lists: dict[str, list[str]] = {}
    diags: list[Diagnostic] = []
    if not directory.is_dir():
        return lists, diags
    for path in sorted(directory.glob("*.txt")):
        display = _display(path, display_root)
        entries = read_list(path)
        if not entries:
            diags.append(Diagnostic.at(display, 1, f"list `@{path.stem}` is empty", "add one entry per line"))
        lists[path.stem] = [text for _, text in entries]
    return lists, diags


def _display(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def check_rule_file(
    path: Path, display: str, fields: Mapping[str, FieldSpec], lists: Mapping[str, list[str]], reasons: Mapping[str, str]
) -> tuple[Rule | None, list[Diagnostic], tuple[str, int] | None]:
    """All the problems of one rule file; the compiled rule if there are none; (id, line)."""
    located, diags = read_yaml(path, display)
    if located is None:
        return None, diags, None
    if not isinstance(located.data, dict):
        return None, diags + [Diagnostic.at(display, 1, "a rule file must be a YAML mapping of keys to values")], None
    rule_id = located.data.get("id")
    id_line = (rule_id, located.line("id")) if isinstance(rule_id, str) else None
    try:
        spec = RuleFile.model_validate(located.data)
    except ValidationError as exc:
        diags += _model_errors(exc, located, display, _NESTED)
        spec = None
    data = located.data
    # Semantic checks run even when the model failed, on whatever is there: report everything.
    if isinstance(data.get("id"), str) and path.stem != data["id"]:
        diags.append(Diagnostic.at(display, located.line("id"), f"rule id `{data['id']}` differs from the file name `{path.name}`",
                                   f"rename the file to `{data['id']}.yaml` or change the id"))
    reason = data.get("reason")
    if isinstance(reason, str) and reasons and reason not in reasons:
        diags.append(Diagnostic.at(display, located.line("reason"), f"unknown reason code `{reason}`",
                                   did_you_mean(reason, reasons) or f"one of: {', '.join(reasons)}"))
    action = data.get("action")
    if isinstance(reason, str) and action == "approve" and reason != "ok":
        diags.append(Diagnostic.at(display, located.line("reason"), f"an approve rule must have reason `ok`. Got `{reason}` instead."))
    if isinstance(reason, str) and action in {"block", "review"} and reason == "ok":
        diags.append(Diagnostic.at(display, located.line("reason"), f"a {action} rule needs a violation reason, not `ok`",
                                   "pick the reason code the listing is blocked or reviewed for"))
    prov = data.get("provenance")
    if isinstance(prov, dict) and prov.get("kind") == "promoted" and not prov.get("evidence"):
        diags.append(Diagnostic.at(display, located.line("provenance", "kind"), "a promoted rule must carry its `evidence`",
                                   "add provenance.evidence: source, window, support, precision_vs_reviewers"))
    compiled = None
    condition = data.get("condition")
    if isinstance(condition, str) and fields:
        try:
            compiled = compile_condition(condition, {n: s.type for n, s in fields.items()}, lists)
        except CompileError as exc:
            diags += [Diagnostic.at(display, located.line("condition"), f"condition: {message}", hint)
                      for message, hint in exc.problems]
    if fields and isinstance(data.get("examples"), dict):
        diags += check_examples(data["examples"], compiled, fields, located, display)
    if spec is None or compiled is None or diags:
        return None, diags, id_line
    return Rule(spec=spec, compiled=compiled, path=path, line_of=dict(located.lines)), diags, id_line


def check_examples(
    examples: Mapping[str, Any], compiled, fields: Mapping[str, FieldSpec], located: Located, display: str
) -> list[Diagnostic]:
    """Every example must be a listing of declared fields and (when the condition compiled)
    behave as declared."""
    diags: list[Diagnostic] = []
    for group, expected in (("match", True), ("no_match", False)):
        rows = examples.get(group)
        if not isinstance(rows, list):
            continue
        good: list[tuple[int, dict]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                diags.append(Diagnostic.at(display, located.line("examples", group, index),
                                           f"example {index + 1} under `{group}` must be a mapping of field: value"))
                continue
            clean, ok = {}, True
            for key, value in row.items():
                line = located.line("examples", group, index, key)
                if key not in fields:
                    diags.append(Diagnostic.at(display, line, f"example field `{key}` is not declared",
                                               did_you_mean(key, fields) or "see rules/fields.yaml"))
                    ok = False
                    continue
                try:
                    clean[key] = coerce_value(key, fields[key].type, value)
                except ExampleValueError as exc:
                    diags.append(Diagnostic.at(display, line, f"example {index + 1} under `{group}`: {exc}"))
                    ok = False
            if ok:
                good.append((index, clean))
        if not good or compiled is None:
            continue
        frame = example_frame([row for _, row in good], fields)
        hits = frame.select(compiled.expr.alias("hit"))["hit"].to_list()
        for (index, _), hit in zip(good, hits, strict=True):
            if bool(hit) != expected:
                values = frame.row(good.index((index, _)), named=True)
                shown = ", ".join(f"{f}={values.get(f)!r}" for f in compiled.fields)
                verb = "does not match" if expected else "matches"
                diags.append(Diagnostic.at(display, located.line("examples", group, index),
                                           f"example {index + 1} under `{group}` {verb} the condition",
                                           f"the condition saw {shown}"))
    return diags


def check_unique_ids(rules: list[tuple[str, str, int]]) -> list[Diagnostic]:
    """(id, file, line) triples -> one diagnostic per repeated id."""
    first: dict[str, tuple[str, int]] = {}
    diags = []
    for rule_id, display, line in rules:
        if rule_id in first:
            other = first[rule_id]
            diags.append(Diagnostic.at(display, line, f"duplicate rule id `{rule_id}` (also in {other[0]}:{other[1]})",
                                       "rule ids must be unique; rename one of them"))
        else:
            first[rule_id] = (display, line)
    return diags

