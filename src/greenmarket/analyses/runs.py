"""The runs directory: ``<root>/greenium/<run-id>/`` and ``<root>/impact/<run-id>/``.

A run folder holds what ``greenmarket greenium run`` or ``greenmarket impact run`` wrote, plus a
manifest ``run.json`` (kind, id, start and finish times, input folder, parameters) written after
every other file: a folder with a manifest is a complete run, one without is a run in progress
(or not a run) and is never shown; a run that fails removes its folder.
The *latest* run of a kind is the one with the newest ``finished_at`` of its manifest (ties: the
greater id), whatever the folders' names or modification times.

The root is ``GREENMARKET_ANALYSIS_DIR``, by default ``var/analysis`` under the project root.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from greenmarket.config import PROJECT_ROOT
from greenmarket.errors import Conflict, NotFound, ValidationError

KINDS = ("greenium", "impact")
MANIFEST = "run.json"
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: The files of a run that may be served to a browser, by suffix.
SERVABLE = {".png": "image/png", ".svg": "image/svg+xml", ".csv": "text/csv; charset=utf-8",
            ".html": "text/html; charset=utf-8"}


def analysis_dir() -> Path:
    """``GREENMARKET_ANALYSIS_DIR``, or ``var/analysis`` under the project root (not created here)."""
    configured = os.environ.get("GREENMARKET_ANALYSIS_DIR")
    return Path(configured) if configured else PROJECT_ROOT / "var" / "analysis"


@dataclass(frozen=True)
class Run:
    """One complete run: its folder and what its manifest says."""

    kind: str
    run_id: str
    folder: Path
    started_at: datetime
    finished_at: datetime
    data: str
    parameters: dict[str, str] = field(default_factory=dict)
    options: tuple[str, ...] = ()

    def images(self) -> list[str]:
        """The run's charts (PNG, SVG), by file name."""
        return sorted(p.name for p in self.folder.iterdir()
                      if p.suffix in (".png", ".svg") and _plain_file(p))

    def has(self, name: str) -> bool:
        return _plain_file(self.folder / name)


def _plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise NotFound(f"no analysis kind {kind!r}", field="kind")


def _read_manifest(folder: Path, kind: str) -> Run | None:
    try:
        body = json.loads((folder / MANIFEST).read_text("utf-8"))
        return Run(kind=kind, run_id=folder.name, folder=folder,
                   started_at=datetime.fromisoformat(body["started_at"]),
                   finished_at=datetime.fromisoformat(body["finished_at"]),
                   data=str(body.get("data", "")),
                   parameters={str(k): str(v) for k, v in (body.get("parameters") or {}).items()},
                   options=tuple(str(o) for o in body.get("options") or ()))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def list_runs(root: Path, kind: str) -> list[Run]:
    """The complete runs of ``kind``, newest first."""
    _check_kind(kind)
    folder = root / kind
    if not folder.is_dir():
        return []
    runs = [run for entry in folder.iterdir()
            if RUN_ID.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink()
            and (run := _read_manifest(entry, kind)) is not None]
    return sorted(runs, key=lambda r: (r.finished_at, r.run_id), reverse=True)


def latest_run(root: Path, kind: str) -> Run | None:
    runs = list_runs(root, kind)
    return runs[0] if runs else None


def find_run(root: Path, kind: str, run_id: str) -> Run:
    """The run named ``run_id`` (only ids of listed runs resolve: no path is built from input)."""
    for run in list_runs(root, kind):
        if run.run_id == run_id:
            return run
    raise NotFound(f"no {kind} run {run_id!r}", field="run_id")


def run_file(run: Run, name: str) -> Path:
    """A servable file directly inside the run's folder, or NotFound (no other path resolves)."""
    for entry in run.folder.iterdir():
        if entry.name == name and entry.suffix in SERVABLE and entry.name != MANIFEST \
                and _plain_file(entry) and entry.resolve().parent == run.folder.resolve():
            return entry
    raise NotFound(f"run {run.run_id} has no file {name!r}", field="name")


def new_run_id(root: Path, kind: str, now: datetime) -> str:
    """``YYYYMMDD-HHMMSS`` (UTC) of ``now``, with ``-2``, ``-3``… when taken."""
    base = now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    candidate, number = base, 1
    while (root / kind / candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def record_run(root: Path, kind: str, run_id: str | None, write: Callable[[Path], None], *,
               now: Callable[[], datetime], data: str, parameters: dict[str, Any],
               options: list[str]) -> Run:
    """Run ``write(folder)`` into a new run folder, then add its manifest (the completion mark)."""
    _check_kind(kind)
    started = now()
    run_id = run_id or new_run_id(root, kind, started)
    if not RUN_ID.fullmatch(run_id):
        raise ValidationError("a run id is 1-64 letters, digits, '.', '_' or '-', starting with a "
                              "letter or digit", field="id")
    folder = root / kind / run_id
    if folder.exists():
        raise Conflict(f"{folder} already exists", field="id")
    folder.mkdir(parents=True)
    try:
        write(folder)
        manifest = {"kind": kind, "run_id": run_id, "started_at": started.isoformat(),
                    "finished_at": now().isoformat(), "data": data,
                    "parameters": {k: str(v) for k, v in parameters.items()}, "options": options}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return find_run(root, kind, run_id)
