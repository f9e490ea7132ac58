"""Registry of the long-term forecasting benchmark datasets.

Each benchmark is described by a frozen :class:`DatasetSpec`: where the canonical file comes from,
its SHA-256, its shape, its sampling frequency, which split protocol it uses and the forecasting
defaults of the field (lookback, horizons, seasonal period).

The SHA-256 and size of every entry were checked against the file itself, except for
**Electricity and Traffic**: no copy of those two files was available, so their hashes and sizes
come from second-hand notes (public reproducibility notes and download scripts) and are unverified
(``checked_against_file=False``, marked by ``xlstm-ts datasets``). A local copy that differs from
them is still refused, with a message saying that the expected hash may be the wrong one.

The committed ``datasets/manifest.json`` is generated from this module::

    python -m xlstm_ts.data.registry --write-manifest datasets/manifest.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, get_args

SplitRule = Literal["ett_hourly", "ett_minute", "ratio"]
"""Split protocol: fixed 12/4/4-month borders for ETT (hourly or 15-minute rows) or 70/10/20 by ratio."""

_SPLIT_RULES: tuple[str, ...] = get_args(SplitRule)
_FREQS: tuple[str, ...] = ("h", "15min", "10min", "D", "W")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")

MANIFEST_SCHEMA = "xlstm-ts/datasets-manifest/1"
"""Schema tag written at the top of ``datasets/manifest.json``."""

_ETT_RAW = "https://raw.githubusercontent.com/zhouhaoyi/ETDataset/main/ETT-small"
_TSL_HF = "https://huggingface.co/datasets/thuml/Time-Series-Library/resolve/main"

_LTSF_HORIZONS = (96, 192, 336, 720)
_ILI_HORIZONS = (24, 36, 48, 60)
_ISO_SECONDS = "%Y-%m-%d %H:%M:%S"


@dataclass(frozen=True)
class DatasetSpec:
    """Static description of one benchmark CSV file."""

    name: str
    """Canonical name, e.g. ``"ETTh1"``; registry look-ups ignore case."""
    file_name: str
    """File name of the canonical CSV, e.g. ``"ETTh1.csv"``."""
    folder: str
    """Sub-folder of the Time-Series-Library layout (``dataset/<folder>/<file_name>``); also searched."""
    urls: tuple[str, ...]
    """Canonical download URL(s), tried in order."""
    sha256: str
    """SHA-256 of the canonical file bytes (64 lowercase hex digits)."""
    n_bytes: int
    """Size of the canonical file in bytes."""
    n_rows: int
    """Number of data rows (header excluded)."""
    n_columns: int
    """Number of columns including the ``date`` column."""
    freq: str
    """Nominal sampling step as a pandas offset alias: ``"h"``, ``"15min"``, ``"10min"``, ``"D"`` or ``"W"``."""
    split: SplitRule
    """Split protocol used by :func:`xlstm_ts.data.splits.split_borders`."""
    seasonal_period: int
    """Main seasonal period in rows (24 hourly, 96 for 15 min, 144 for 10 min, 5 trading days, 52 weeks)."""
    default_lookback: int
    """Lookback window (rows) used by default for this dataset."""
    horizons: tuple[int, ...]
    """Forecast horizons (rows) of the standard benchmark protocol."""
    license: str
    """License of the data as far as it is known (see ``datasets/README.md``)."""
    source: str
    """Upstream origin of the data and attribution."""
    target: str = "OT"
    """Name of the target column for the ``S`` and ``MS`` feature modes."""
    date_format: str | None = _ISO_SECONDS
    """``strftime`` format of the ``date`` column; ``None`` lets pandas infer it."""
    checked_against_file: bool = True
    """Whether ``sha256`` and ``n_bytes`` were computed from a copy of the canonical file. ``False``
    means they come from second-hand notes only and may be wrong; a mismatch is still refused."""

    def __post_init__(self) -> None:
        if not self.name or not self.file_name.endswith(".csv"):
            raise ValueError(f"invalid dataset name/file: {self.name!r}, {self.file_name!r}")
        if not self.urls or not all(u.startswith("https://") for u in self.urls):
            raise ValueError(f"{self.name}: urls must be a non-empty tuple of https:// URLs, got {self.urls!r}")
        if not _SHA256_RE.fullmatch(self.sha256):
            raise ValueError(f"{self.name}: sha256 must be 64 lowercase hex digits, got {self.sha256!r}")
        if self.n_bytes <= 0 or self.n_rows <= 0 or self.n_columns < 2:
            raise ValueError(f"{self.name}: n_bytes, n_rows must be > 0 and n_columns >= 2")
        if self.freq not in _FREQS:
            raise ValueError(f"{self.name}: freq must be one of {_FREQS}, got {self.freq!r}")
        if self.split not in _SPLIT_RULES:
            raise ValueError(f"{self.name}: split must be one of {_SPLIT_RULES}, got {self.split!r}")
        if self.seasonal_period < 1 or self.default_lookback < 1:
            raise ValueError(f"{self.name}: seasonal_period and default_lookback must be >= 1")
        if not self.horizons or any(h < 1 for h in self.horizons):
            raise ValueError(f"{self.name}: horizons must be positive, got {self.horizons!r}")
        if not self.target:
            raise ValueError(f"{self.name}: target must be a non-empty column name")
        if not isinstance(self.checked_against_file, bool):
            raise ValueError(f"{self.name}: checked_against_file must be a bool, got {self.checked_against_file!r}")

    @property
    def n_channels(self) -> int:
        """Number of value columns (all columns but ``date``)."""
        return self.n_columns - 1

    def to_dict(self) -> dict[str, object]:
        """Plain JSON-serialisable dict of all fields (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def _ett(name: str, n_rows: int, freq: str, sha256: str, n_bytes: int) -> DatasetSpec:
    hourly = freq == "h"
    return DatasetSpec(
        name=name,
        file_name=f"{name}.csv",
        folder="ETT-small",
        urls=(f"{_ETT_RAW}/{name}.csv", f"{_TSL_HF}/ETT-small/{name}.csv"),
        sha256=sha256,
        n_bytes=n_bytes,
        n_rows=n_rows,
        n_columns=8,
        freq=freq,
        split="ett_hourly" if hourly else "ett_minute",
        seasonal_period=24 if hourly else 96,
        default_lookback=336,
        horizons=_LTSF_HORIZONS,
        license="CC BY-ND 4.0 (LICENSE of zhouhaoyi/ETDataset); share only unmodified copies, with attribution",
        source="Electricity Transformer Temperature, zhouhaoyi/ETDataset (Zhou et al., Informer, AAAI 2021)",
    )


_SPECS: tuple[DatasetSpec, ...] = (
    _ett("ETTh1", 17420, "h", "f18de3ad269cef59bb07b5438d79bb3042d3be49bdeecf01c1cd6d29695ee066", 2589657),
    _ett("ETTh2", 17420, "h", "a3dc2c597b9218c7ce1cd55eb77b283fd459a1d09d753063f944967dd6b9218b", 2417960),
    _ett("ETTm1", 69680, "15min", "6ce1759b1a18e3328421d5d75fadcb316c449fcd7cec32820c8dafda71986c9e", 10360719),
    _ett("ETTm2", 69680, "15min", "db973ca252c6410a30d0469b13d696cf919648d0f3fd588c60f03fdbdbadd1fd", 9677236),
    DatasetSpec(
        name="Weather",
        file_name="weather.csv",
        folder="weather",
        urls=(f"{_TSL_HF}/weather/weather.csv",),
        sha256="34ee981d07313e51da2a50bb600072c8ae4a69cb4b0651f4cb93a069d7a2ba63",
        n_bytes=7235425,
        n_rows=52696,
        n_columns=22,
        freq="10min",
        split="ratio",
        seasonal_period=144,
        default_lookback=336,
        horizons=_LTSF_HORIZONS,
        license="not stated by the source; reported second-hand as CC BY 4.0 (unverified)",
        source="Max Planck Institute for Biogeochemistry (Jena) weather station, 2020; via Autoformer / TSLib",
    ),
    DatasetSpec(
        name="Electricity",
        file_name="electricity.csv",
        folder="electricity",
        urls=(f"{_TSL_HF}/electricity/electricity.csv",),
        sha256="7e45845d54c5219bad0ae6bc1b5316cf8ff9cead5d33fa998a5a51c2e4a497ad",
        n_bytes=95581762,
        n_rows=26304,
        n_columns=322,
        freq="h",
        split="ratio",
        seasonal_period=24,
        default_lookback=336,
        horizons=_LTSF_HORIZONS,
        license="upstream UCI ElectricityLoadDiagrams20112014 (UCI lists CC BY 4.0; unverified here)",
        source="UCI ElectricityLoadDiagrams20112014 (Trindade), hourly kWh of 321 clients, via LSTNet / Autoformer",
        checked_against_file=False,  # sha256/n_bytes from second-hand notes, never checked against the file
    ),
    DatasetSpec(
        name="Traffic",
        file_name="traffic.csv",
        folder="traffic",
        urls=(f"{_TSL_HF}/traffic/traffic.csv",),
        sha256="cb06463d56fa17d87f47027cd9389ceae82a69eddee51cdb61480e120dab0b16",
        n_bytes=136478119,
        n_rows=17544,
        n_columns=863,
        freq="h",
        split="ratio",
        seasonal_period=24,
        default_lookback=336,
        horizons=_LTSF_HORIZONS,
        license="not stated; Caltrans PeMS data (public agency data, terms unverified)",
        source="California DOT PeMS road occupancy rates, 862 sensors, via LSTNet / Autoformer",
        checked_against_file=False,  # sha256/n_bytes from second-hand notes, never checked against the file
    ),
    DatasetSpec(
        name="Exchange",
        file_name="exchange_rate.csv",
        folder="exchange_rate",
        urls=(f"{_TSL_HF}/exchange_rate/exchange_rate.csv",),
        sha256="48b4d9d3d508f5104162e85b9a6042e3557fde11aa9f2944eba8c0d0efc89842",
        n_bytes=637800,
        n_rows=7588,
        n_columns=9,
        freq="D",
        split="ratio",
        seasonal_period=5,
        default_lookback=336,
        horizons=_LTSF_HORIZONS,
        license="not stated (the Time-Series-Library MIT license covers its code only)",
        source="Daily exchange rates of 8 countries, LSTNet collection (Lai et al., 2018); dates added by Autoformer",
        date_format="%Y/%m/%d %H:%M",
    ),
    DatasetSpec(
        name="ILI",
        file_name="national_illness.csv",
        folder="illness",
        urls=(f"{_TSL_HF}/illness/national_illness.csv",),
        sha256="93601f64d2566dc796ca4305adad8b8560c2db1a1ff04543c3bd813a7263570a",
        n_bytes=67620,
        n_rows=966,
        n_columns=8,
        freq="W",
        split="ratio",
        seasonal_period=52,
        default_lookback=104,
        horizons=_ILI_HORIZONS,
        license="not stated; U.S. CDC ILINet data (U.S. government work, unverified)",
        source="U.S. CDC ILINet weekly influenza-like-illness counts, via Autoformer",
    ),
)

REGISTRY: dict[str, DatasetSpec] = {spec.name.lower(): spec for spec in _SPECS}
"""All known datasets, keyed by lowercase name."""


def dataset_names() -> tuple[str, ...]:
    """Canonical names of all registered datasets, in registry order."""
    return tuple(spec.name for spec in _SPECS)


def get_spec(name: str) -> DatasetSpec:
    """Return the :class:`DatasetSpec` called ``name`` (case-insensitive).

    Raises:
        ValueError: if no dataset has that name; the message lists the valid names.
    """
    spec = REGISTRY.get(str(name).strip().lower())
    if spec is None:
        raise ValueError(f"unknown dataset {name!r}; valid names: {', '.join(dataset_names())}")
    return spec


def manifest() -> dict[str, object]:
    """The manifest as a JSON-serialisable dict: schema tag and one entry per dataset."""
    return {"schema": MANIFEST_SCHEMA, "datasets": [spec.to_dict() for spec in _SPECS]}


def render_manifest() -> str:
    """The exact text of ``datasets/manifest.json`` (2-space indent, trailing newline)."""
    return json.dumps(manifest(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write-manifest PATH`` writes the manifest, ``--check-manifest PATH`` compares."""
    parser = argparse.ArgumentParser(prog="python -m xlstm_ts.data.registry", description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write-manifest", type=Path, metavar="PATH", help="write the manifest JSON to PATH")
    group.add_argument("--check-manifest", type=Path, metavar="PATH", help="exit 1 if PATH differs from the registry")
    args = parser.parse_args(argv)
    text = render_manifest()
    if args.write_manifest is not None:
        args.write_manifest.parent.mkdir(parents=True, exist_ok=True)
        args.write_manifest.write_text(text, encoding="utf-8")
        print(f"wrote {args.write_manifest} ({len(_SPECS)} datasets)")
        return 0
    current = args.check_manifest.read_text(encoding="utf-8") if args.check_manifest.is_file() else ""
    if current != text:
        print(f"{args.check_manifest} is out of date; regenerate it with --write-manifest", file=sys.stderr)
        return 1
    print(f"{args.check_manifest} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
