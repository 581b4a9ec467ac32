"""The rule engine the policy team owns: load -> validate -> compile -> evaluate.

Rule files are data (``rules/``); this package reads them like a compiler reads source, reports
every problem as ``file:line``, and evaluates the ruleset over a whole feature batch at once.
"""

from moderation.rules.build import check_rules, load_ruleset, rule_files
from moderation.rules.compile import CompileError, compile_condition, expand_lists, to_duckdb
from moderation.rules.diagnostics import Diagnostic
from moderation.rules.evaluate import HITS_SCHEMA, evaluate, rule_matches
from moderation.rules.examples import complete_fields, example_frame
from moderation.rules.ruleset import ACTION_ORDER, Rule, Ruleset
from moderation.rules.version import ruleset_version

__all__ = [
    "ACTION_ORDER",
    "HITS_SCHEMA",
    "CompileError",
    "Diagnostic",
    "Rule",
    "Ruleset",
    "check_rules",
    "compile_condition",
    "complete_fields",
    "evaluate",
    "example_frame",
    "expand_lists",
    "load_ruleset",
    "rule_files",
    "rule_matches",
    "ruleset_version",
    "to_duckdb",
]
