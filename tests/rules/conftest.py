"""Fixtures for rule-engine tests: a rules directory built from {path: text}."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHIPPED_RULES = REPO / "rules"
CONTACTS_CSV = REPO.parent / "shared" / "data" / "avito_contacts_sample.csv"


@pytest.fixture
def make_rules(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """A rules dir with the shipped fields, reasons and lists plus the given files."""

    def make(files: dict[str, str], *, with_support: bool = True) -> Path:
        root = tmp_path / "rules"
        root.mkdir(exist_ok=True)
        if with_support:
            for name in ("fields.yaml", "reasons.yaml"):
                shutil.copy(SHIPPED_RULES / name, root / name)
            shutil.copytree(SHIPPED_RULES / "lists", root / "lists", dirs_exist_ok=True)
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return root

    return make


@pytest.fixture
def rule_yaml() -> Callable[..., str]:
    """Builds the text of a valid rule file (see ``_rule_yaml``)."""
    return _rule_yaml


def _rule_yaml(rule_id: str, condition: str, *, action: str = "block", reason: str = "spam",
              status: str = "active", match: str = '{description: "x"}',
              no_match: str = '{description: null}') -> str:
    """A valid rule file text (examples default to something every condition can satisfy)."""
    return textwrap.dedent(f"""\
        id: {rule_id}
        description: "Rule {rule_id} used by a test."
        owner: tests
        action: {action}
        reason: {reason}
        status: {status}
        condition: "{condition}"
        examples:
          match:
            - {match}
          no_match:
            - {no_match}
        provenance:
          kind: written_by_hand
          author: tests
          date: 2026-11-01
        """)
