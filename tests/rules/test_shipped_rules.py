"""The policy library in rules/: it loads for real, covers the taxonomy, and its examples pass."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from moderation.rules import check_rules, load_ruleset, rule_files
from moderation.schema import REASON_CODES

SHIPPED_RULES = Path(__file__).resolve().parents[2] / "rules"
RULE_FILES = rule_files(SHIPPED_RULES)


@pytest.fixture(scope="module")
def shipped():
    return load_ruleset(SHIPPED_RULES)


def test_every_shipped_rule_file_loads(shipped) -> None:
    assert len(shipped.rules) == len(RULE_FILES) >= 25
    assert {r.path.name for r in shipped.rules} == {p.name for p in RULE_FILES}


def test_the_library_covers_every_reason_code_and_uses_shadow(shipped) -> None:
    assert {r.reason for r in shipped.rules} == set(REASON_CODES)
    assert len(shipped.shadow) >= 3
    assert {r.action for r in shipped.active} == {"block", "review", "approve", "flag"}
    assert any(r.spec.provenance.kind == "promoted" for r in shipped.rules)


def test_reasons_yaml_equals_the_schema_taxonomy(shipped) -> None:
    assert tuple(shipped.reasons) == REASON_CODES


def test_fields_yaml_declares_the_listing_columns_and_every_feature(shipped) -> None:
    from moderation.features.tabular import TABULAR_FEATURES
    from moderation.features.text import TEXT_FEATURES
    from moderation.schema import LISTING_COLUMNS

    declared = set(shipped.fields)
    assert set(LISTING_COLUMNS) | set(TABULAR_FEATURES) | set(TEXT_FEATURES) == declared


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_each_shipped_rule_passes_its_examples(path) -> None:
    _, diags = check_rules(SHIPPED_RULES, [path])
    assert [str(d) for d in diags] == []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["id"] == path.stem
    assert data["examples"]["match"] and data["examples"]["no_match"]


def test_list_syntax_is_used_by_the_library(shipped) -> None:
    conditions = " ".join(r.spec.condition for r in shipped.rules)
    for form in ("contains_any(text_norm, @", "contains_word(text_norm, @", "IN @blocked_phones"):
        assert form in conditions
