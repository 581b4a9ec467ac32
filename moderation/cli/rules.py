"""``moderation rules ...``: check, test, explain, backtest and measure the rule library.

Thin: parse arguments, call ``moderation.rules`` functions, print, map problems to exit codes.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from moderation.cli import app
from moderation.settings import PROJECT_ROOT

__all__ = ["rules_app"]

rules_app = typer.Typer(help="Write, check, test, explain and backtest rule files.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

console = Console(highlight=False, soft_wrap=True)


def _default_rules_dir() -> Path:
    from moderation.settings import load_settings

    return load_settings().rules_dir


def _resolve(path: Path | None) -> tuple[Path, list[Path] | None]:
    """A rules directory, or one rule file checked against its directory's fields and lists."""
    if path is None:
        return _default_rules_dir(), None
    if path.is_file():
        root = path.parent if (path.parent / "fields.yaml").is_file() else _default_rules_dir()
        return root, [path]
    return path, None


def _load(rules_dir: Path | None):
    from moderation.rules import load_ruleset

    return load_ruleset(rules_dir or _default_rules_dir())


@rules_app.command("check")
def check(path: Path = typer.Argument(None, help="Rules directory or one rule file (default: settings.rules_dir).")) -> None:
    """Validate rule files like a compiler: every error as file:line with a hint; exit 1 on any."""
    from moderation.rules import check_rules

    root, only = _resolve(path)
    ruleset, diags = check_rules(root, only)
    for diag in diags:
        console.print(str(diag))
    if diags:
        console.print(f"{len(diags)} error(s)")
        raise SystemExit(1)  # typer.Exit is swallowed by main()'s standalone_mode=False
    assert ruleset is not None
    console.print(
        f"ok: {len(ruleset.rules)} rule(s) — {len(ruleset.active)} active, {len(ruleset.shadow)} shadow — "
        f"{len(ruleset.lists)} list(s), ruleset version {ruleset.version}"
    )




@rules_app.command("test")
def test(path: Path = typer.Argument(None, help="Rules directory or one rule file.")) -> None:
    """Run every rule's examples (must / must not match); exit 1 if any misbehaves."""
    from moderation.rules import check_rules, rule_files

    root, only = _resolve(path)
    ruleset, diags = check_rules(root, only)
    by_file: dict[str, list] = {}
    for diag in diags:
        by_file.setdefault(diag.file, []).append(diag)
    passed = 0
    for file in only if only is not None else rule_files(root):
        shown = [k for k in by_file if Path(k).name == file.name]
        if shown:
            console.print(f"FAIL {file.name}")
            for key in shown:
                for diag in by_file.pop(key):
                    console.print(f"  {diag}")
        else:
            passed += 1
            console.print(f"ok   {file.name}")
    for rest in by_file.values():  # fields.yaml, reasons.yaml, lists
        for diag in rest:
            console.print(str(diag))
    console.print(f"{passed} rule file(s) passed, {len(diags)} problem(s)")
    if diags:
        raise SystemExit(1)  # typer.Exit is swallowed by main()'s standalone_mode=False


def _read_features(path: Path, only_id: str | None = None):
    """A dump -> typed listings (bad rows skipped, as the daily run quarantines them) -> features.

    Day figures (category medians, earlier copies) always come from the whole dump; with
    ``only_id`` the features are computed for that listing alone.
    """
    import polars as pl

    from moderation.features import add_features, compute_day_stats
    from moderation.ingest import open_dump
    from moderation.validate import validate_batch

    dump = open_dump(path)
    raw = dump.scan().collect()
    listings, _quarantine = validate_batch(raw, source_file=str(path), row_offset=0)
    stats = compute_day_stats(listings)
    if only_id is not None:
        listings = listings.filter(pl.col("listing_id") == only_id)
    return add_features(listings, stats)


def _read_truth(path: Path):
    import polars as pl

    from moderation.errors import InputSchemaError

    if path.suffix == ".parquet":
        truth = pl.read_parquet(path)
    elif path.suffix == ".csv":
        truth = pl.read_csv(path, infer_schema=False)
    else:
        truth = pl.read_ndjson(path)
    missing = [c for c in ("listing_id", "violation") if c not in truth.columns]
    if missing:
        raise InputSchemaError(f"{path}: truth file lacks column(s) {', '.join(missing)}")
    return truth.select(pl.col("listing_id").cast(pl.String), pl.col("violation").cast(pl.String))


@rules_app.command("explain")
def explain_cmd(
    listing_id: str = typer.Argument(..., help="The listing to explain."),
    input: Path = typer.Option(..., "--input", "-i", help="The dump holding the listing."),
    rules_dir: Path = typer.Option(None, "--rules", help="Rules directory (default: settings)."),
    all_rules: bool = typer.Option(False, "--all", help="Also list the rules that did not hit."),
) -> None:
    """Show which rules hit one listing and the field values that made them hit."""
    from moderation.errors import InputSchemaError
    from moderation.rules.explain import explain, format_explanation

    ruleset = _load(rules_dir)
    features = _read_features(input, only_id=listing_id)
    try:
        exp = explain(ruleset, features, listing_id)
    except KeyError:
        raise InputSchemaError(f"{input}: no valid listing with listing_id {listing_id!r}") from None
    console.print(format_explanation(exp, all_rules=all_rules), markup=False)


def _expand(paths: list[Path], pattern: str) -> list[Path]:
    """Files as given; a folder stands for its ``pattern`` files (.parquet, .csv, .jsonl)."""
    from moderation.errors import InputSchemaError

    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for ext in ("parquet", "csv", "jsonl") for p in path.glob(f"{pattern}.{ext}"))
            if not found:
                raise InputSchemaError(f"{path}: no {pattern} files in this folder")
            out += found
        else:
            out.append(path)
    return out


@rules_app.command("backtest")
def backtest_cmd(
    input: list[Path] = typer.Option(..., "--input", "-i", help="Dump(s), or a folder of listings-*.parquet; repeatable."),
    truth: list[Path] = typer.Option(..., "--truth", "-t", help="Truth file(s) (listing_id, violation), or a folder of truth-*.parquet; repeatable."),
    rules_dir: Path = typer.Option(None, "--rules", help="Rules directory (default: settings)."),
) -> None:
    """Per rule (shadow included): hits, precision, recall, overlap, and the effect if active."""
    import polars as pl
    from rich.table import Table

    from moderation.rules.backtest import backtest

    ruleset = _load(rules_dir)
    dumps = _expand(input, "listings-*")
    features = pl.concat([_read_features(p) for p in dumps], how="diagonal_relaxed")
    truth_frame = pl.concat([_read_truth(p) for p in _expand(truth, "truth-*")])
    result = backtest(ruleset, features, truth_frame)
    table = Table(title=f"backtest of ruleset {ruleset.version} on {features.height:,} listings")
    for col in ("rule", "status", "action", "reason", "hits", "precision", "recall", "overlap",
                "top overlap", "Δ automation", "Δ block precision"):
        table.add_column(col, justify="right" if col[0] in "hprΔo" and col not in {"reason"} else "left")

    def pct(x, signed=False):
        return "-" if x is None else (f"{x:+.2%}" if signed else f"{x:.1%}")

    for row in result.iter_rows(named=True):
        table.add_row(
            row["rule_id"], row["status"], row["action"], row["reason"], f"{row['hits']:,}",
            pct(row["precision"]), pct(row["recall"]), pct(row["overlap"]), row["top_overlap"] or "-",
            pct(row["automation_delta"], True), pct(row["block_precision_delta"], True),
        )
    console.print(table)


# The real labelled sample lives next to the repository (never copied into it).
DEFAULT_CONTACTS_CSV = PROJECT_ROOT.parent / "shared" / "data" / "avito_contacts_sample.csv"


@rules_app.command("eval-contacts")
def eval_contacts(
    csv: Path = typer.Argument(DEFAULT_CONTACTS_CSV, help="CSV with description, has_contacts (idx optional)."),
    rules_dir: Path = typer.Option(None, "--rules", help="Rules directory (default: settings)."),
    min_precision: float = typer.Option(0.95, help="Exit 1 below this precision."),
    min_recall: float = typer.Option(0.80, help="Exit 1 below this recall."),
) -> None:
    """Precision and recall of the active contact rules on real labelled ad texts."""
    import dataclasses

    import polars as pl

    from moderation.errors import InputSchemaError
    from moderation.features import add_features, compute_day_stats
    from moderation.rules.contacts_eval import listings_from_texts, score_contact_rules

    if not csv.is_file():
        raise InputSchemaError(f"{csv}: no such file (the sample lives in ../shared/data/)")
    texts = pl.read_csv(csv, infer_schema_length=0)
    missing = [c for c in ("description", "has_contacts") if c not in texts.columns]
    if missing:
        raise InputSchemaError(f"{csv}: missing column(s) {', '.join(missing)}")
    ruleset = _load(rules_dir)
    listings = listings_from_texts(texts)
    stats = compute_day_stats(listings)
    if stats.overall_median_price is None:  # no prices at all in this sample
        stats = dataclasses.replace(stats, overall_median_price=float("nan"))
    features = add_features(listings, stats)
    labels = texts["has_contacts"].cast(pl.Int64) == 1
    score = score_contact_rules(ruleset, features, labels)
    for rule_id, (hits, tp) in score.per_rule.items():
        console.print(f"  {rule_id:<34} hits {hits:>5}   true {tp:>5}")
    console.print(
        f"contact rules on {score.rows} texts ({score.positives} with contacts): "
        f"precision {score.precision:.3f}  recall {score.recall:.3f}  "
        f"(tp {score.true_pos}, fp {score.false_pos}; target precision >= {min_precision}, recall >= {min_recall})"
    )
    if score.precision < min_precision or score.recall < min_recall:
        raise SystemExit(1)  # typer.Exit is swallowed by main()'s standalone_mode=False
