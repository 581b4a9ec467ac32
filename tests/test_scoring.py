"""score_batch wires features -> rules -> model -> decide -> text stage (stand-ins for the models)."""

import numpy as np

from moderation.decide import Thresholds
from moderation.features import compute_day_stats
from moderation.rules import load_ruleset
from moderation.schema import DECISION_SCHEMA
from moderation.scoring import Scorer, score_batch
from moderation.settings import PROJECT_ROOT
from moderation.text_model.thresholds import TextThresholds
from moderation.validate import validate_batch
from tests.factories import make_listings


class _ScoreByPrice:
    """A model stand-in whose fraud score is read off the price (0.5 = the uncertain band)."""

    def predict_proba(self, features):
        score = np.where(features["price"].to_numpy() > 5000, 0.5, 0.001)
        return np.column_stack([1 - score, score])


class _Loaded:
    model = _ScoreByPrice()
    version = "fraud/7"
    thresholds = Thresholds(approve_below=0.01, block_at=0.99)


class _TextStage:
    """Says 'violation' when the description asks for a prepayment."""

    version = "text/abc"
    thresholds = TextThresholds(block_at=0.9, approve_below=0.1)

    def __init__(self):
        self.seen = 0

    def predict_proba(self, texts):
        self.seen += len(texts)
        bad = np.array([0.95 if "предоплат" in t.lower() else 0.05 for t in texts])
        return np.column_stack([1 - bad, bad])


def _day():
    raw = make_listings(
        4,
        price=[1000.0, 9000.0, 9000.0, 9000.0],
        description=["Самовывоз.", "Только предоплата на карту.", "Самовывоз, торг.", "Самовывоз."],
    )
    listings, quarantine = validate_batch(raw, source_file="day.parquet", row_offset=0)
    assert quarantine.height == 0
    return listings


def test_without_a_text_stage_the_band_goes_to_people():
    day = _day()
    scored = score_batch(day, compute_day_stats(day), Scorer(load_ruleset(PROJECT_ROOT / "rules"), _Loaded()), "r")
    assert scored.decisions.schema == DECISION_SCHEMA
    assert scored.decisions["decision"].to_list()[0] == "approve"
    assert scored.decisions["reasons"].to_list()[2] == ["model_uncertain"]


def test_the_text_stage_resolves_only_band_rows():
    day, stage = _day(), _TextStage()
    scorer = Scorer(load_ruleset(PROJECT_ROOT / "rules"), _Loaded(), text_stage=stage)
    decisions = score_batch(day, compute_day_stats(day), scorer, "r").decisions
    by_model = decisions.filter(decisions["decided_by"] == "model")
    band_rows = [i for i in (1, 2, 3) if decisions["decided_by"][i] == "model"]
    assert stage.seen == len(band_rows) >= 2  # row 0 (cheap, approved) is never re-scored
    assert decisions["decision"][2] == "approve" and decisions["reasons"][2].to_list() == ["ok"]
    assert set(by_model["model_version"]) <= {"fraud/7", "fraud/7+text/abc"}
    assert decisions["model_version"][2] == "fraud/7+text/abc"
