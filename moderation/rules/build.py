"""Build a Ruleset from a rules directory: every compiler pass, every diagnostic."""

from __future__ import annotations

from pathlib import Path

from moderation.errors import RuleValidationError
from moderation.rules.diagnostics import Diagnostic
from moderation.rules.ruleset import Rule, Ruleset
from moderation.rules.validate import (
    check_fields,
    check_lists,
    check_reasons,
    check_rule_file,
    check_unique_ids,
)
from moderation.rules.version import ruleset_version, versioned_files

__all__ = ["check_rules", "load_ruleset", "rule_files", "SUPPORT_FILES"]

SUPPORT_FILES = ("fields.yaml", "reasons.yaml")


def rule_files(root: Path) -> list[Path]:
    """Every ``*.yaml`` under ``root`` except fields/reasons and the lists folder."""
    return sorted(
        p for p in root.rglob("*.yaml")
        if p.name not in SUPPORT_FILES and "lists" not in p.relative_to(root).parts[:-1]
    )


def check_rules(root: Path, only: list[Path] | None = None) -> tuple[Ruleset | None, list[Diagnostic]]:
    """Validate the rules directory ``root`` (or only the files ``only`` against its fields,
    lists and reasons); return the ruleset when there is no error, and every diagnostic."""
    root = Path(root)
    diags: list[Diagnostic] = []
    display = root.parent
    for name in SUPPORT_FILES:
        if not (root / name).is_file():
            diags.append(Diagnostic.at(_show(root / name, display), 1, f"missing `{name}` in {root}",
                                       "the rules directory needs fields.yaml and reasons.yaml"))
    fields, d = check_fields(root / "fields.yaml", _show(root / "fields.yaml", display)) if (root / "fields.yaml").is_file() else ({}, [])
    diags += d
    reasons, d = check_reasons(root / "reasons.yaml", _show(root / "reasons.yaml", display)) if (root / "reasons.yaml").is_file() else ({}, [])
    diags += d
    lists, d = check_lists(root / "lists", display)
    diags += d
    rules: list[Rule] = []
    ids: list[tuple[str, str, int]] = []
    for path in only if only is not None else rule_files(root):
        shown = _show(path, display)
        rule, d, id_line = check_rule_file(path, shown, fields, lists, reasons)
        diags += d
        if rule is not None:
            rules.append(rule)
        if id_line is not None:
            ids.append((id_line[0], shown, id_line[1]))
    diags += check_unique_ids(ids)
    if diags:
        return None, sorted(set(diags), key=lambda x: (x.file, x.line, x.message))
    ruleset = Ruleset(root=root, rules=tuple(rules), fields=fields, lists={k: tuple(v) for k, v in lists.items()},
                      reasons=reasons, version=ruleset_version(root, versioned_files(root)))
    return ruleset, []


def _show(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_ruleset(rules_dir: Path) -> Ruleset:
    """The validated ruleset of ``rules_dir``; RuleValidationError lists every problem."""
    ruleset, diags = check_rules(Path(rules_dir))
    if ruleset is None:
        raise RuleValidationError(diags)
    return ruleset
