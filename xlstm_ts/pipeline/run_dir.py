"""Run directories: the one place that writes and opens them.

A run directory (``runs/<dataset>-<horizon>-<timestamp>/``) holds ``config.yaml`` (the
:class:`~xlstm_ts.pipeline.run_config.RunConfig`: ``xlstm-ts fit --config`` reruns it),
``metrics.json`` and the network as ``model.safetensors`` + ``model.json`` (never pickles; the
training scaler's statistics, channel names and frequency are in ``model.json``). ``fit``,
``evaluate``, ``predict``, ``plot`` and ``benchmark`` all go through :func:`write_run` and
:func:`open_run`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from xlstm_ts.data.config import DataConfig
from xlstm_ts.data.datamodule import ForecastDataModule
from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.io import load_network, save_network
from xlstm_ts.pipeline.run_config import RunConfig

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.json"


class RunDirectoryError(FileNotFoundError):
    """A path is not a run directory written by ``xlstm-ts fit``."""


def output_channels(config: RunConfig, data: ForecastDataModule) -> list[int] | None:
    """The file channels the network forecasts: ``[target]`` for ``MS``, None (all) otherwise."""
    return [data.target_index] if config.data.features == "MS" else None


def write_run(
    output_dir: Path, config: RunConfig, network: nn.Module, data: ForecastDataModule, metrics: dict[str, Any]
) -> None:
    """Write config.yaml, metrics.json and the model files of a finished run into ``output_dir``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    config.to_yaml(output_dir / CONFIG_FILE)
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    from xlstm_ts.models.ensemble import MeanEnsemble

    if isinstance(network, MeanEnsemble):  # a seed ensemble is saved as the registry's "ensemble" network
        model_name, model_config = "ensemble", network.config.to_dict()
    else:
        model_name, model_config = config.model, config.network_config().to_dict()
    save_network(
        output_dir,
        network,
        model_name,
        model_config,
        data.n_channels_in,
        output_channels(config, data),
        metadata={
            "dataset": data.spec.name,
            "freq": data.spec.freq,
            "features": config.data.features,
            "target": config.data.target,
            "channel_names": list(data.channel_names),
            "output_names": list(data.output_names),
            "scaler": data.scaler.state_dict() if data.scaler is not None else None,
            **cycle_metadata(network, data),
        },
    )


def cycle_metadata(network: nn.Module, data: ForecastDataModule) -> dict[str, Any]:
    """``{"cycle_anchor": <date of the file's first row>}`` for a network with a cycle, else {}:
    the phase of a row is its step count from that date modulo the cycle length (what predict needs)."""
    from xlstm_ts.pipeline.phase import network_cycle_length

    if network_cycle_length(network) == 0:
        return {}
    import pandas as pd

    first = pd.read_csv(data.data_file.path, nrows=1, dtype=str, encoding="utf-8").iloc[0, 0]
    return {"cycle_anchor": pd.Timestamp(pd.to_datetime(first, format=data.spec.date_format)).isoformat()}


def default_output_dir(config: RunConfig, root: str | Path = "runs") -> Path:
    """runs/<dataset>-<horizon>-<timestamp>/ (a suffix is added if it exists)."""
    return stamped_dir(Path(root), f"{config.data.dataset}-{config.data.horizon}")


def stamped_dir(root: Path, name: str) -> Path:
    """``root/<name>-<timestamp>``, with a suffix -2, -3, ... when that exists already."""
    base = root / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


@dataclass
class OpenedRun:
    """A run directory read back: its config, network (CPU, eval mode) and descriptions."""

    path: Path
    """The run directory."""
    config: RunConfig
    """config.yaml."""
    network: nn.Module
    """The saved network, on CPU in eval mode."""
    description: dict[str, Any]
    """model.json (model, config, channel and output names, freq, scaler statistics, ...)."""
    metrics: dict[str, Any]
    """metrics.json as written by the run ({} if absent)."""

    @property
    def scaler(self) -> StandardScaler | None:
        """The training-row scaler saved with the run (None for an unscaled run)."""
        state = self.description.get("scaler")
        return StandardScaler.from_state_dict(state) if state else None

    def data(self, data_dir: str | Path | None = None, *, allow_modified_data: bool = False) -> ForecastDataModule:
        """The run's benchmark data, split as in the run and scaled with the *saved* statistics.

        Args:
            data_dir: folder of the benchmark CSVs, if not where the run found them.
            allow_modified_data: use a file that differs from the registry even if the run's
                config does not allow it (``--allow-modified-data``).
        Raises:
            DatasetIntegrityError: the file differs from the registry and modified data is allowed
                neither by the run's config nor by ``allow_modified_data``.
        """
        values = dict(self.config.to_dict()["data"])
        if data_dir:
            values["data_dir"] = str(data_dir)
        if allow_modified_data:
            values["allow_modified_data"] = True
        data = ForecastDataModule(DataConfig(**values))
        data.prepare_data()
        data.setup("test")
        if self.description.get("scaler"):
            data.load_state_dict({"dataset": data.spec.name, "scaler": self.description["scaler"]})
        return data


def open_run(run_dir: str | Path) -> OpenedRun:
    """Read the run directory ``run_dir`` (config, network, descriptions).

    Raises:
        RunDirectoryError: no config.yaml there.
        xlstm_ts.io.ModelFileError: the model files are missing or do not match.
    """
    path = Path(run_dir)
    if not (path / CONFIG_FILE).is_file():
        raise RunDirectoryError(f"{path} has no {CONFIG_FILE}: not a run directory written by `xlstm-ts fit`")
    config = RunConfig.from_yaml(path / CONFIG_FILE)
    network, description = load_network(path)
    metrics_path = path / METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    return OpenedRun(path, config, network, description, metrics)
