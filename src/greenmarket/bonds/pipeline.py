"""The greenium pipeline end to end, streaming by partitions (``greenmarket greenium run``).

Steps (seed 003, sections 3-4; FORMATS.md "Greenium"):

1. **Load** ``bonds.csv``, ``curves.csv`` and ``disclosures.csv`` with the validating loaders of
   :mod:`greenmarket.bonds.reference`.
2. **Spill prices by partition** — ``prices.csv`` (or ``prices.parquet``) is read once as a stream of
   validated batches (:mod:`greenmarket.bonds.price_stream`). Each row goes to the partition of its
   bond's issuer (CRC-32 of the issuer name modulo the number of partitions, which is chosen so that a
   partition holds about ``partition_rows`` bond-days) and is appended to that partition's Parquet
   file in a work folder. The same pass records each bond's latest price date for screening. Rows of
   ISINs absent from ``bonds.csv`` are counted and skipped.
3. **Screen and match** (:mod:`~greenmarket.bonds.screening`, :mod:`~greenmarket.bonds.matching`):
   small tables, in memory.
4. **Per partition** (:func:`process_partition`, a pure function of its inputs): reject duplicate
   (isin, date) rows, compute the Z-spreads of the paired bonds with the pricing engine
   (``z_spreads_for_chunk``), the daily greenium of the partition's pairs, drop the pairs with fewer
   than ``min_days`` common days (data cleansing), and write the daily rows to the partition's own
   Parquet file; return the small aggregates (per-pair means, per-pair quarterly means). A pair never
   spans two partitions, since both bonds have the same issuer. Partitions run one after another in
   this process, or as tasks on a Dask cluster (``client``) with identical results.
5. **Assemble**: per-currency daily statistics read back only ``currency, date, greenium_bp`` of the
   daily files, one currency at a time; quarterly box plots and disclosure statistics come from the
   small aggregates.
6. **Write** every output into a staging folder, then move them into ``out``: a run that fails writes
   nothing there.

Memory is bounded by one partition (≈ ``partition_rows`` bond-days with their cash-flow matrices,
which the Z-spread solver batches) plus one currency's daily greenium values (16 bytes a pair-day).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zlib
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from greenmarket.bonds import greenium as series
from greenmarket.bonds.curves import ZeroCurves, zero_curves
from greenmarket.bonds.matching import PAIR_COLUMNS, MatchingRules, match, validation_table
from greenmarket.bonds.price_stream import batches, estimated_rows, prices_path
from greenmarket.bonds.reference import load_bonds, load_curves, load_disclosures
from greenmarket.bonds.screening import ScreeningCriteria, screen
from greenmarket.bonds.statistics import currency_summary, disclosure_effects, panel_regression
from greenmarket.bonds.zspread import CHUNK_TERMS, z_spreads_for_chunk
from greenmarket.errors import FileFormatError, ValidationError

DAILY_SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("currency", pa.string()),
        ("green_isin", pa.string()),
        ("brown_isin", pa.string()),
        ("green_z_bp", pa.float64()),
        ("brown_z_bp", pa.float64()),
        ("greenium_bp", pa.float64()),
    ]
)
Advance = Callable[[str, float], None]


@dataclass(frozen=True)
class PipelineOptions:
    """Every choice of a run; the defaults are the report's."""

    screening: ScreeningCriteria = ScreeningCriteria()
    matching: MatchingRules = MatchingRules()
    min_days: int = 20
    date_from: date | None = None
    date_to: date | None = None
    seed: int = 0
    bootstrap_resamples: int = 9999
    disclosures_as_of: date | None = None
    partition_rows: int = 2_000_000
    compounding: str = "continuous"

    def __post_init__(self) -> None:
        if self.min_days < 1:
            raise ValidationError("min_days must be at least 1", field="min_days")
        if self.partition_rows < 1000:
            raise ValidationError("partition_rows must be at least 1000", field="partition_rows")
        if self.bootstrap_resamples < 100:
            raise ValidationError("bootstrap_resamples must be at least 100", field="bootstrap_resamples")


@dataclass
class PartitionResult:
    """What one partition hands back: small tables only (the daily rows are in its file)."""

    pairs: pd.DataFrame
    by_bond: pd.DataFrame
    pair_quarters: pd.DataFrame
    unpriced: dict[str, int]
    bond_days: int
    pair_days: int


@dataclass
class PipelineResult:
    """Every table of a run, as written to ``out``."""

    screened: pd.DataFrame
    matched: pd.DataFrame
    pairs: pd.DataFrame
    by_bond: pd.DataFrame
    by_issuer: pd.DataFrame
    portfolio: pd.DataFrame
    quarterly: pd.DataFrame
    effects: pd.DataFrame
    panel: pd.DataFrame
    validation: pd.DataFrame
    currencies: pd.DataFrame
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class Spill:
    """The prices split by partition, and what the pass learnt about each bond."""

    paths: list[Path]
    partitions: int
    last_price_date: pd.Series
    unknown_rows: int
    rows_read: int


def partition_of(issuers: pd.Series, partitions: int) -> np.ndarray:
    """Return the partition of each issuer: CRC-32 of its UTF-8 name modulo ``partitions``."""
    return np.array([zlib.crc32(str(name).encode()) % partitions for name in issuers], dtype=np.int64)


def spill_prices(
    source: Path,
    bonds: pd.DataFrame,
    work: Path,
    partitions: int,
    options: PipelineOptions,
    advance: Advance | None = None,
) -> Spill:
    """Stream the prices once into one Parquet file per partition (see the module docstring)."""
    isins = pa.array(bonds["isin"].to_numpy(dtype=object), type=pa.string())
    partition = partition_of(bonds["issuer"], partitions)
    paths = [work / f"prices-{number:05d}.parquet" for number in range(partitions)]
    stats: list[pd.DataFrame] = []
    unknown = rows_read = 0
    with ExitStack() as stack:
        writers: dict[int, pq.ParquetWriter] = {}
        for table in batches(source):
            rows_read += table.num_rows
            table = _in_window(table, options)
            index = pc.index_in(table["isin"], value_set=isins)
            known = index.is_valid().to_numpy(zero_copy_only=False)
            position = index.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            unknown += int((~known).sum())
            table = table.filter(pa.array(known))
            part = partition[position[known]]
            stats.append(_bond_stats(table))
            order = np.argsort(part, kind="stable")
            table, part = table.take(pa.array(order)), part[order]
            bounds = np.flatnonzero(np.diff(part)) + 1
            for start, stop in zip(np.r_[0, bounds], np.r_[bounds, len(part)]):
                if stop > start:
                    number = int(part[start])
                    if number not in writers:
                        writers[number] = stack.enter_context(pq.ParquetWriter(paths[number], table.schema))
                    writers[number].write_table(table.slice(start, stop - start))
            if advance is not None:
                advance("read", float(table.num_rows))
    combined = pd.concat(stats, ignore_index=True) if stats else pd.DataFrame(columns=["isin", "last"])
    grouped = combined.groupby("isin").agg(last=("last", "max"))
    return Spill(
        paths=[path for path in paths if path.exists()],
        partitions=partitions,
        last_price_date=pd.to_datetime(grouped["last"]),
        unknown_rows=unknown,
        rows_read=rows_read,
    )


def _in_window(table: pa.Table, options: PipelineOptions) -> pa.Table:
    if options.date_from is not None:
        table = table.filter(pc.greater_equal(table["date"], pa.scalar(options.date_from, pa.date32())))
    if options.date_to is not None:
        table = table.filter(pc.less_equal(table["date"], pa.scalar(options.date_to, pa.date32())))
    return table


def _bond_stats(table: pa.Table) -> pd.DataFrame:
    grouped = table.group_by("isin").aggregate([("date", "max")])
    return pd.DataFrame(
        {
            "isin": grouped["isin"].to_numpy(zero_copy_only=False),
            "last": grouped["date_max"].to_numpy(zero_copy_only=False),
        }
    )


def process_partition(
    prices_file: str,
    pairs: pd.DataFrame,
    terms: pd.DataFrame,
    curves: ZeroCurves,
    min_days: int,
    daily_file: str,
    compounding: str = "continuous",
) -> PartitionResult:
    """Z-spreads, daily greenium and per-pair aggregates of one partition; daily rows to ``daily_file``.

    Pure apart from reading ``prices_file`` and writing ``daily_file``, so that the same call runs in
    this process or on a Dask worker.
    """
    table = pq.read_table(prices_file)
    _reject_duplicates(table, prices_file)
    wanted = pa.array(pd.unique(pd.concat([pairs["green_isin"], pairs["brown_isin"]])), type=pa.string())
    table = table.filter(pc.is_in(table["isin"], value_set=wanted))
    prices = table.select(["isin", "date", "clean_price"]).to_pandas(date_as_object=False)
    prices["date"] = prices["date"].astype("datetime64[ns]")
    chunk = prices.merge(terms, on="isin", how="left", validate="many_to_one")
    solved = z_spreads_for_chunk(chunk, curves, compounding=compounding)
    z = pd.DataFrame({"isin": chunk["isin"], "date": chunk["date"], "z_spread_bp": solved["z_spread_bp"]})
    reasons = solved["unpriced"]
    daily = series.daily_greenium(pairs, z)
    kept = series.enough_history(pairs, daily, min_days)
    daily = daily[daily["green_isin"].isin(kept["green_isin"])].reset_index(drop=True)
    pq.write_table(pa.Table.from_pandas(daily, schema=DAILY_SCHEMA, preserve_index=False), daily_file)
    return PartitionResult(
        pairs=kept,
        by_bond=series.by_bond(kept, daily),
        pair_quarters=series.pair_quarter_means(daily),
        unpriced={str(key): int(value) for key, value in reasons[reasons != ""].value_counts().items()},
        bond_days=len(chunk),
        pair_days=len(daily),
    )


def _reject_duplicates(table: pa.Table, source: str) -> None:
    keys = table.select(["isin", "date", "line"]).to_pandas()
    duplicated = keys.duplicated(["isin", "date"], keep="first").to_numpy()
    if duplicated.any():
        line = int(keys["line"].to_numpy()[duplicated].min())
        raise FileFormatError("duplicate isin, date: each must appear once", source="prices", line=line, column="isin")


def _partition_count(source: Path, options: PipelineOptions) -> int:
    return max(1, -(-estimated_rows(source) // options.partition_rows))


def run(
    data: Path,
    out: Path,
    options: PipelineOptions = PipelineOptions(),
    *,
    client: Any | None = None,
    advance: Advance | None = None,
    work_root: Path | None = None,
    render: Callable[[PipelineResult, Path], None] | None = None,
) -> PipelineResult:
    """Run the whole pipeline from ``data`` into ``out`` (see the module docstring).

    ``client`` is an optional ``dask.distributed.Client``; ``advance(stage, amount)`` reports
    progress (stages ``read`` in rows, ``partitions_planned`` once with the number of partitions,
    ``partitions`` and ``assemble`` in steps); ``render(result, folder)`` writes charts and the HTML report into the staging folder.
    """
    bonds = load_bonds(data / "bonds.csv")
    curves = zero_curves(load_curves(data / "curves.csv"))
    disclosures = load_disclosures(data / "disclosures.csv")
    source = prices_path(data)
    with tempfile.TemporaryDirectory(prefix="greenium-", dir=work_root) as work_name:
        work = Path(work_name)
        spill = spill_prices(source, bonds, work, _partition_count(source, options), options, advance)
        screened = screen(bonds, spill.last_price_date, options.screening)
        matched = match(bonds[bonds["isin"].isin(screened["isin"])], bonds, options.matching)
        results, daily_files = _run_partitions(spill, matched, bonds, curves, options, work, client, advance)
        result = _assemble(results, daily_files, screened, matched, bonds, disclosures, spill, options, advance)
        staging = work / "staging"
        staging.mkdir()
        write_tables(result, daily_files, staging)
        if render is not None:
            render(result, staging)
        out.mkdir(parents=True, exist_ok=True)
        for item in sorted(staging.iterdir()):
            shutil.move(str(item), str(out / item.name))
    return result


def _run_partitions(
    spill: Spill,
    matched: pd.DataFrame,
    bonds: pd.DataFrame,
    curves: ZeroCurves,
    options: PipelineOptions,
    work: Path,
    client: Any | None,
    advance: Advance | None,
) -> tuple[list[PartitionResult], list[Path]]:
    partition = partition_of(matched["issuer"], spill.partitions)
    terms = bonds[["isin", *[c for c in (*CHUNK_TERMS, "calendar") if c in bonds.columns]]]
    tasks = []
    for path in spill.paths:
        number = int(path.stem.split("-")[1])
        pairs = matched[partition == number].reset_index(drop=True)
        if pairs.empty:
            continue
        isins = pd.concat([pairs["green_isin"], pairs["brown_isin"]])
        part_terms = terms[terms["isin"].isin(isins)].reset_index(drop=True)
        daily = work / f"daily-{number:05d}.parquet"
        tasks.append((str(path), pairs, part_terms, options.min_days, str(daily)))
    daily_files = [Path(task[4]) for task in tasks]
    if advance is not None:
        advance("partitions_planned", float(len(tasks)))
    if client is not None:
        curves_future = client.scatter(curves, broadcast=True)
        futures = [
            client.submit(process_partition, path, pairs, part_terms, curves_future, min_days, daily,
                          options.compounding, pure=False)
            for path, pairs, part_terms, min_days, daily in tasks
        ]
        results = []
        for future in futures:
            results.append(future.result())
            if advance is not None:
                advance("partitions", 1.0)
        return results, daily_files
    results = []
    for path, pairs, part_terms, min_days, daily in tasks:
        results.append(process_partition(path, pairs, part_terms, curves, min_days, daily, options.compounding))
        if advance is not None:
            advance("partitions", 1.0)
    return results, daily_files


def _concat(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    frames = [frame for frame in frames if not frame.empty]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _assemble(
    results: list[PartitionResult],
    daily_files: list[Path],
    screened: pd.DataFrame,
    matched: pd.DataFrame,
    bonds: pd.DataFrame,
    disclosures: pd.DataFrame,
    spill: Spill,
    options: PipelineOptions,
    advance: Advance | None,
) -> PipelineResult:
    order = ["currency", "issuer", "green_isin"]
    pairs = _concat([r.pairs for r in results], list(matched.columns)).sort_values(order, kind="mergesort")
    pairs = pairs.reset_index(drop=True)
    by_bond = _concat([r.by_bond for r in results], series.BY_BOND_COLUMNS).sort_values(order, kind="mergesort")
    by_bond = by_bond.reset_index(drop=True)
    pair_quarters = _concat([r.pair_quarters for r in results], series.PAIR_QUARTER_COLUMNS)
    portfolio = _portfolio(daily_files, sorted(pairs["currency"].unique()), advance)
    unpriced: dict[str, int] = {}
    for r in results:
        for key, value in r.unpriced.items():
            unpriced[key] = unpriced.get(key, 0) + value
    summary = {
        "price_rows_read": spill.rows_read,
        "price_rows_unknown_isin": spill.unknown_rows,
        "bonds": len(bonds),
        "screened_green_bonds": len(screened),
        "matched_pairs": len(matched),
        "pairs_after_cleansing": len(pairs),
        "paired_bond_days": sum(r.bond_days for r in results),
        "pair_days": sum(r.pair_days for r in results),
        "unpriced_bond_days": unpriced,
        "partitions": len(daily_files),
        "min_days": options.min_days,
        "seed": options.seed,
    }
    return PipelineResult(
        screened=screened,
        matched=matched,
        pairs=pairs,
        by_bond=by_bond,
        by_issuer=series.by_issuer(by_bond),
        portfolio=portfolio,
        quarterly=series.quarterly(pair_quarters),
        effects=disclosure_effects(
            by_bond, disclosures, seed=options.seed, n_resamples=options.bootstrap_resamples, as_of=options.disclosures_as_of
        ),
        panel=panel_regression(by_bond, disclosures, as_of=options.disclosures_as_of),
        validation=validation_table(pairs, bonds),
        currencies=currency_summary(by_bond),
        summary=summary,
    )


def _read_daily(files: list[Path], currency: str, columns: list[str]) -> list[pa.Table]:
    return [pq.read_table(path, columns=columns, filters=[("currency", "=", currency)]) for path in files]


def _portfolio(daily_files: list[Path], currencies: list[str], advance: Advance | None) -> pd.DataFrame:
    frames = []
    for currency in currencies:
        table = pa.concat_tables(_read_daily(daily_files, currency, ["date", "greenium_bp"]))
        dates = table["date"].to_numpy().astype("datetime64[D]")
        frames.append(series.day_statistics(currency, dates, table["greenium_bp"].to_numpy()))
        del table
        if advance is not None:
            advance("assemble", 1.0)
    return _concat(frames, series.PORTFOLIO_COLUMNS)


def write_tables(result: PipelineResult, daily_files: list[Path], folder: Path) -> None:
    """Write the FORMATS tables (CSV, with Parquet copies) and the extra tables into ``folder``."""
    pair_columns = PAIR_COLUMNS + [c for c in result.pairs.columns if c.startswith("points_")] + ["maturity_gap_days"]
    tables = {
        "pairs": result.pairs.reindex(columns=pair_columns),
        "greenium_by_bond": result.by_bond,
        "greenium_by_issuer": result.by_issuer,
        "portfolio_daily": result.portfolio,
        "quarterly": result.quarterly,
        "disclosure_effects": result.effects,
        "panel_regression": result.panel,
        "matching_validation": result.validation,
        "screening": result.screened,
        "currency_summary": result.currencies,
    }
    for name, table in tables.items():
        frame = _dates_as_text(table)
        frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.10g")
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    _write_daily(result, daily_files, folder)
    (folder / "summary.json").write_text(json.dumps(result.summary, indent=2, sort_keys=True) + "\n")


def _dates_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out


def _write_daily(result: PipelineResult, daily_files: list[Path], folder: Path) -> None:
    """``greenium_daily.csv`` (and ``.parquet``), grouped by currency, then pair, then date."""
    with ExitStack() as stack:
        sink = stack.enter_context((folder / "greenium_daily.csv").open("wb"))
        sink.write((",".join(DAILY_SCHEMA.names) + "\n").encode())
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        csv = stack.enter_context(pacsv.CSVWriter(sink, DAILY_SCHEMA, write_options=options))
        parquet = stack.enter_context(pq.ParquetWriter(folder / "greenium_daily.parquet", DAILY_SCHEMA))
        for currency in sorted(result.pairs["currency"].unique()):
            for table in _read_daily(daily_files, currency, list(DAILY_SCHEMA.names)):
                table = table.cast(DAILY_SCHEMA)
                csv.write_table(table)
                parquet.write_table(table)
