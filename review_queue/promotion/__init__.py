"""Promotion mining: recurring manual decisions proposed as rules, with their evidence.

    candidates, entities = propose(reviewed, fields, history=history, existing_hits=hits, ...)

Miners (``entities``, ``patterns``) find candidates in reviewer decisions; ``evidence`` measures
each against reviewers and stored history and drops the weak or redundant ones, saying why;
``render`` writes shadow rule files and the report. Nothing here promotes anything: a person
runs ``moderation rules promote ID``.
"""

from review_queue.promotion.candidates import EntityCriteria, list_group, propose
from review_queue.promotion.entities import ENTITY_KINDS, extract_entities, mine_entities
from review_queue.promotion.evidence import (
    Candidate,
    Criteria,
    backtest,
    entity_condition,
    judge,
    measure,
    with_phone_norm,
)
from review_queue.promotion.patterns import Clause, PatternCandidate, condition_mask, mine_patterns
from review_queue.promotion.render import (
    demote_text,
    list_rule_condition,
    promote_text,
    reject_text,
    report_html,
    report_markdown,
    rule_yaml,
    used_fields,
)
from review_queue.promotion.review_rules import (
    ReviewRule,
    review_rule_candidates,
    rule_column,
    with_rule_columns,
)

__all__ = [
    "Candidate",
    "Clause",
    "Criteria",
    "ENTITY_KINDS",
    "EntityCriteria",
    "PatternCandidate",
    "ReviewRule",
    "backtest",
    "condition_mask",
    "demote_text",
    "entity_condition",
    "extract_entities",
    "judge",
    "list_group",
    "list_rule_condition",
    "measure",
    "mine_entities",
    "mine_patterns",
    "promote_text",
    "propose",
    "reject_text",
    "report_html",
    "report_markdown",
    "review_rule_candidates",
    "rule_column",
    "rule_yaml",
    "used_fields",
    "with_phone_norm",
    "with_rule_columns",
]
