"""Entity promotion: contacts, sellers and near-identical texts that reviewers keep blocking.

The same phone number, messenger handle, e-mail, link, seller or copy-pasted text decided the
same way again and again is the cheapest automation there is: a list entry. This module only
*finds* such entities with their support and counter-evidence; ``evidence.judge_entities``
decides which are strong enough to propose.

Input: a Polars frame of reviewer decisions, one row per decided case (listing snapshot columns
plus ``decision``, ``reason_code``, ``decided_at``, ``moderator``, ``rule_hits``).
"""

from __future__ import annotations

from collections import Counter

import polars as pl
from datasketch import MinHash, MinHashLSH

from review_queue.promotion._text import DECISION_COLUMNS, require_columns, shingles, with_text_norm

__all__ = ["ENTITY_KINDS", "extract_entities", "mine_entities", "ENTITY_COLUMNS"]

# kind -> (the rule field the list entry is matched against, the list file it goes to)
ENTITY_KINDS: dict[str, tuple[str, str]] = {
    "phone": ("phone / text_phone", "blocked_phones"),
    "handle": ("text_norm", "blocked_phrases"),
    "email": ("text_norm", "blocked_phrases"),
    "link": ("text_norm", "blocked_phrases"),
    "seller": ("seller_id", "blocked_sellers"),
    "text": ("text_norm", "blocked_phrases"),
}

ENTITY_COLUMNS: dict[str, pl.DataType] = {
    "kind": pl.String(),
    "value": pl.String(),  # as a person reads it (the handle, the domain, the phrase...)
    "entry": pl.String(),  # as it goes into the list file (normalised like the rule field)
    "list_name": pl.String(),
    "reason_code": pl.String(),  # the most frequent block reason
    "cases": pl.Int64(),
    "blocks": pl.Int64(),
    "same_reason": pl.Int64(),
    "approvals": pl.Int64(),  # counter-evidence: the same entity approved by a reviewer
    "sellers": pl.Int64(),
    "days": pl.Int64(),
    "first_seen": pl.Date(),
    "last_seen": pl.Date(),
    "listing_ids": pl.List(pl.String()),
}

_HANDLE = (
    r"(?:^|[^\w.])@([a-z_][a-z0-9_.]{3,}[a-z0-9_])"
    r"|t\.me/([a-z0-9_]{4,})"
    r"|(?:^|[^\pL])(?:тг|tg|телеграм\pL*|telegram)\s*[:\-]?\s*@?([a-z_][a-z0-9_]{3,})"
)
_EMAIL = r"([a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
_LINK = (
    r"(?:https?://)?(?:www\.)?((?:[a-z0-9-]+\.)+(?:ru|com|net|org|su|info|me|io|biz|pro|site"
    r"|online|shop|store|by|kz|ua|рф)(?:/[a-z0-9_\-/]*)?)"
)


def _day(frame: pl.DataFrame) -> pl.Expr:
    source = "created_at" if "created_at" in frame.columns else "decided_at"
    column = pl.col(source)
    if frame.schema[source] == pl.String:
        column = column.str.to_datetime(strict=False)
    return column.dt.date()


def _phone_digits(column: pl.Expr) -> pl.Expr:
    """A form phone as 11 digits starting with 7 (the shape ``text_phone`` has); else null."""
    digits = column.cast(pl.String).str.replace_all(r"\D", "")
    return (
        pl.when(digits.str.len_chars() == 11)
        .then(pl.lit("7") + digits.str.slice(1))
        .when((digits.str.len_chars() == 10) & digits.str.starts_with("9"))
        .then(pl.lit("7") + digits)
        .otherwise(None)
    )


def _text_clusters(frame: pl.DataFrame, *, threshold: float, num_perm: int, min_size: int) -> dict[int, str]:
    """Near-identical blocked texts (MinHash LSH over word 3-shingles), each as one phrase.

    Returns row -> phrase: the 4-word shingle most of the cluster shares and approvals lack, so
    the list entry matches the copies and not ordinary listings.
    """
    blocked = frame.filter(pl.col("decision") == "block").select("_row", "text_norm")
    approved = frame.filter(pl.col("decision") == "approve")["text_norm"].to_list()
    approved_shingles = Counter(s for text in approved for s in shingles(text, 4))
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent: dict[int, int] = {}
    sets: dict[int, set[str]] = {}
    for row, text in blocked.iter_rows():
        words = shingles(text, 3)
        if len(words) < 3:
            continue
        sketch = MinHash(num_perm=num_perm, seed=7)
        sketch.update_batch([w.encode() for w in words])
        for other in lsh.query(sketch):  # union with the earlier near-duplicates
            _union(parent, row, other)
        lsh.insert(row, sketch)
        sets[row] = shingles(text, 4)
    groups: dict[int, list[int]] = {}
    for row in sets:
        groups.setdefault(_find(parent, row), []).append(row)
    phrases: dict[int, str] = {}
    for members in groups.values():
        if len(members) < min_size:
            continue
        counts = Counter(s for m in members for s in sets[m])
        common = [s for s, c in counts.items() if c >= 0.6 * len(members)]
        if not common:
            continue
        best = max(common, key=lambda s: (counts[s] - 5 * approved_shingles[s], len(s), s))
        for member in members:
            phrases[member] = best
    return phrases


def _find(parent: dict[int, int], item: int) -> int:
    while parent.get(item, item) != item:
        parent[item] = parent.get(parent[item], parent[item])
        item = parent[item]
    return item


def _union(parent: dict[int, int], a: int, b: int) -> None:
    ra, rb = _find(parent, a), _find(parent, b)
    if ra != rb:
        parent[max(ra, rb)] = min(ra, rb)


def extract_entities(
    decisions: pl.DataFrame, *, text_threshold: float = 0.7, num_perm: int = 64, min_cluster: int = 3
) -> pl.DataFrame:
    """Every entity found in every decided case: one row per (case, kind, value, entry)."""
    frame = with_text_norm(decisions).with_row_index("_row")
    raw = pl.concat_str(
        [pl.col("title"), pl.col("description")], separator=" ", ignore_nulls=True
    ).str.to_lowercase()
    parts: list[pl.DataFrame] = []

    def add(kind: str, value: pl.Expr, entry: pl.Expr | None = None, *, explode: bool = False) -> None:
        part = frame.select("_row", value.alias("value"), (entry if entry is not None else value).alias("entry"))
        if explode:
            part = part.explode("value", "entry")
        parts.append(part.drop_nulls(["value", "entry"]).with_columns(kind=pl.lit(kind)))

    if "phone" in frame.columns:
        form_phone = _phone_digits(pl.col("phone"))
        add("phone", form_phone)
    if "text_phone" in frame.columns:
        add("phone", pl.col("text_phone"))
    if "seller_id" in frame.columns:
        add("seller", pl.col("seller_id").cast(pl.String))
    handles = raw.str.extract_all(_HANDLE).list.eval(
        pl.element().str.replace(r"^.*?(?:t\.me/|@|тг|tg|телеграм\pL*|telegram)\s*[:\-]?\s*@?", "")
    )
    add("handle", handles, handles, explode=True)
    add("email", raw.str.extract_all(_EMAIL), raw.str.extract_all(_EMAIL), explode=True)
    links = raw.str.extract_all(_LINK).list.eval(
        pl.element().str.replace(r"^(?:https?://)?(?:www\.)?", "")
    ).list.eval(pl.element().filter(~pl.element().str.contains("@")))
    add("link", links, links, explode=True)

    phrases = _text_clusters(frame, threshold=text_threshold, num_perm=num_perm, min_size=min_cluster)
    if phrases:
        # every case (blocked or approved) whose text contains a cluster's phrase carries it
        for phrase in sorted(set(phrases.values())):
            hits = frame.filter(pl.col("text_norm").str.contains(phrase, literal=True)).select("_row")
            parts.append(hits.with_columns(value=pl.lit(phrase), entry=pl.lit(phrase), kind=pl.lit("text")))

    found = pl.concat([p.select("_row", "kind", "value", "entry") for p in parts]).unique()
    needs_norm = pl.col("kind").is_in(["handle", "email", "link"])
    entries = found.filter(needs_norm)["entry"].unique().to_list()
    if entries:
        from moderation.features.text import normalise_text

        normalised = pl.DataFrame({"p": entries}).select(normalise_text(pl.col("p")).alias("p"))["p"]
        mapping = dict(zip(entries, normalised.to_list(), strict=True))
        found = found.with_columns(
            pl.when(needs_norm).then(pl.col("entry").replace(mapping)).otherwise(pl.col("entry")).alias("entry")
        )
    return found.filter(pl.col("entry").str.len_chars() >= 3).unique().sort("_row", "kind", "value")


def mine_entities(decisions: pl.DataFrame, *, min_cases: int = 2, **extract_options) -> pl.DataFrame:
    """Entities that recur across decided cases, with support and counter-evidence (ENTITY_COLUMNS).

    Support counts cases, blocks, blocks with the dominant reason, distinct sellers and days;
    counter-evidence is the number of cases with the same entity that a reviewer approved.
    Entities reviewers never blocked come back with reason ``ok`` (trusted: approve lists).
    """
    if not decisions.height:
        return pl.DataFrame(schema=ENTITY_COLUMNS)
    require_columns(decisions, (*DECISION_COLUMNS, "title", "description"), "mine_entities")
    if "created_at" not in decisions.columns:
        require_columns(decisions, ("decided_at",), "mine_entities (without created_at)")
    cases = decisions.with_row_index("_row").select(
        "_row",
        "listing_id",
        "decision",
        "reason_code",
        (pl.col("seller_id").cast(pl.String) if "seller_id" in decisions.columns else pl.lit(None, pl.String)).alias("_seller"),
        _day(decisions).alias("_day"),
    )
    found = extract_entities(decisions, **extract_options).join(cases, on="_row")
    block = pl.col("decision") == "block"
    grouped = (
        found.group_by("kind", "value", "entry")
        .agg(
            pl.col("reason_code").filter(block).mode().sort().first().alias("reason_code"),
            pl.len().cast(pl.Int64).alias("cases"),
            block.sum().cast(pl.Int64).alias("blocks"),
            (pl.col("decision") == "approve").sum().cast(pl.Int64).alias("approvals"),
            pl.col("_seller").n_unique().cast(pl.Int64).alias("sellers"),
            pl.col("_day").n_unique().cast(pl.Int64).alias("days"),
            pl.col("_day").min().alias("first_seen"),
            pl.col("_day").max().alias("last_seen"),
            pl.col("listing_id").sort().alias("listing_ids"),
            pl.col("reason_code").filter(block).alias("_reasons"),
        )
        .filter(pl.col("cases") >= min_cases)
        .with_columns(
            pl.col("_reasons").list.eval((pl.element() == pl.element().mode().sort().first()).sum())
            .list.first().cast(pl.Int64).alias("same_reason"),
            pl.col("kind").replace_strict({k: v[1] for k, v in ENTITY_KINDS.items()}).alias("list_name"),
        )
        .with_columns(  # never blocked: a trusted entity (an approve-list candidate)
            pl.col("reason_code").fill_null("ok"),
            pl.col("same_reason").fill_null(0),
        )
    )
    return grouped.select(list(ENTITY_COLUMNS)).cast(ENTITY_COLUMNS).sort(
        ["blocks", "kind", "value"], descending=[True, False, False]
    )
