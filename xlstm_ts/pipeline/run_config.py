"""Everything needed to (re)run one benchmark training: data, network and training settings.

As YAML (what `xlstm-ts fit --config` reads and `config.yaml` in a run directory holds):

    model: xlstm            # a name of xlstm_ts.models.registry.MODELS
    data: {dataset: ETTh1, lookback: 336, horizon: 96, ...}     # DataConfig fields
    network: {embedding_dim: 64, ratio: "1:1", ...}            # the model's config fields
    train: {max_epochs: 10, learning_rate: 0.001, ...}         # TrainConfig fields
    ensemble: 3             # optional: a seed ensemble of 3 networks, forecasts averaged

The network's lookback and horizon always come from `data`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from xlstm_ts.data.config import DataConfig
from xlstm_ts.training.config import TrainConfig

SECTIONS = ("data", "network", "train")


def dataset_season(name: str) -> int:
    """The main seasonal period (rows) of the benchmark ``name`` (24 for ETTh1, 96 for ETTm1, ...)."""
    from xlstm_ts.data.registry import get_spec

    return get_spec(name).seasonal_period


@dataclass(frozen=True)
class RunConfig:
    """One run: which model, on which data, trained how."""

    data: DataConfig
    """Dataset, window lengths, channels and batching."""
    model: str = "xlstm"
    """Registry name of the network (see `xlstm-ts fit --help`)."""
    network: dict[str, Any] = field(default_factory=dict)
    """Settings of the network's config dataclass (unset fields keep their defaults)."""
    train: TrainConfig = field(default_factory=TrainConfig)
    """Optimization, schedule, early stopping, seed and hardware."""
    ensemble: int = 1
    """Seed ensemble: K networks trained from the seeds ``train.seed``, ``train.seed + 1``, ...,
    ``train.seed + K - 1`` (member k is exactly the single run of its seed), their forecasts
    averaged; validation and test metrics are the average's. 1 = one network (no ensemble)."""

    def __post_init__(self) -> None:
        from xlstm_ts.models.registry import MODELS, config_class

        if self.model not in MODELS:
            config_class(self.model)  # raises for unknown names
            raise ValueError(f"model {self.model!r} is not trained directly; valid names: {sorted(MODELS)}")
        if isinstance(self.ensemble, bool) or not isinstance(self.ensemble, int) or self.ensemble < 1:
            raise ValueError(f"ensemble must be an integer >= 1 (the number of seeds); got {self.ensemble!r}")
        cls = config_class(self.model)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(self.network) - known)
        if unknown:
            raise ValueError(f"unknown {self.model} network setting(s) {unknown}; valid: {sorted(known)}")
        for name in ("lookback", "horizon"):
            value = self.network.get(name, getattr(self.data, name))
            if value != getattr(self.data, name):
                raise ValueError(
                    f"network.{name}={value} disagrees with data.{name}={getattr(self.data, name)}; "
                    f"set it under data"
                )

    def network_config(self) -> Any:
        """The validated config dataclass of the network (lookback/horizon from data; the season of
        a seasonal naive, Theta or ETS forecast from the dataset unless ``network.season_length`` is set).

        Raises:
            ValueError: the dataset's season does not fit in the lookback of a seasonal naive run.
        """
        from xlstm_ts.models.registry import config_class

        values = {**self.network, "lookback": self.data.lookback, "horizon": self.data.horizon}
        if self.model == "seasonal_naive" and "season_length" not in self.network:
            season = dataset_season(self.data.dataset)
            if season > self.data.lookback:
                raise ValueError(
                    f"seasonal_naive on {self.data.dataset} repeats its season of {season} steps, longer than "
                    f"lookback={self.data.lookback}: raise data.lookback to at least {season} or set "
                    f"network.season_length"
                )
            values["season_length"] = season
        if self.model in ("theta", "ets") and "season_length" not in self.network:
            values["season_length"] = dataset_season(self.data.dataset)
        return config_class(self.model).from_dict(values)

    def member(self, k: int) -> "RunConfig":
        """The single run of ensemble member ``k`` (seed ``train.seed + k``, ``ensemble=1``)."""
        return dataclasses.replace(
            self, ensemble=1, train=dataclasses.replace(self.train, seed=self.train.seed + k)
        )

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict; the network section is complete (defaults filled in); ``ensemble``
        only when it is not 1."""
        values = {
            "model": self.model,
            "data": dataclasses.asdict(self.data),
            "network": self.network_config().to_dict(),
            "train": self.train.to_dict(),
        }
        if self.ensemble != 1:
            values["ensemble"] = self.ensemble
        return values

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        """Build from the nested dict form; unknown sections or keys raise ValueError."""
        unknown = sorted(set(values) - {"model", "ensemble", *SECTIONS})
        if unknown:
            raise ValueError(
                f"unknown config section(s) {unknown}; valid: ['model', 'data', 'network', 'train', 'ensemble']"
            )
        data = dict(values.get("data") or {})
        if "dataset" not in data:
            raise ValueError("the config needs data.dataset (e.g. ETTh1)")
        data_known = {f.name for f in dataclasses.fields(DataConfig)}
        bad = sorted(set(data) - data_known)
        if bad:
            raise ValueError(f"unknown data setting(s) {bad}; valid: {sorted(data_known)}")
        return cls(
            data=DataConfig(**data),
            model=values.get("model", "xlstm"),
            network=dict(values.get("network") or {}),
            train=TrainConfig.from_dict(dict(values.get("train") or {})),
            ensemble=values.get("ensemble", 1),
        )

    def to_yaml(self, path: str | Path) -> None:
        Path(path).write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))

    @classmethod
    def from_yaml(cls, path: str | Path) -> "RunConfig":
        try:
            values = yaml.safe_load(Path(path).read_text()) or {}
        except yaml.YAMLError as err:
            raise ValueError(f"{path} is not valid YAML: {err}") from err
        if not isinstance(values, dict):
            raise ValueError(f"{path} must hold a mapping with sections model/data/network/train")
        return cls.from_dict(values)


def parse_value(text: str) -> Any:
    """A command-line value: 3 -> int, 1e-3 -> float, true -> bool, null -> None, "1:1" -> str."""
    if ":" in text:  # YAML 1.1 would read "1:1" as the base-60 number 61
        return text
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(value, str):  # YAML 1.1 reads "1e-3" (no dot) as a string
        try:
            return float(value)
        except ValueError:
            return value
    return value


def apply_overrides(values: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `key=value` overrides to the nested dict form.

    `key` is `section.field` (data, network, train) or a bare field name that belongs to exactly
    one section. Returns a new dict; raises ValueError naming the problem.
    """
    from xlstm_ts.models.registry import config_class

    result = {k: (dict(v) if isinstance(v, dict) else v) for k, v in values.items()}
    model = result.get("model", "xlstm")
    owners = {
        "data": {f.name for f in dataclasses.fields(DataConfig)},
        "network": {f.name for f in dataclasses.fields(config_class(model))} - {"lookback", "horizon"},
        "train": {f.name for f in dataclasses.fields(TrainConfig)},
    }
    for item in overrides:
        if "=" not in item:
            raise ValueError(f"--set expects key=value, got {item!r}")
        key, _, raw = item.partition("=")
        key = key.strip()
        if key in ("model", "ensemble"):
            result[key] = raw.strip() if key == "model" else parse_value(raw.strip())
            continue
        if "." in key:
            section, _, name = key.partition(".")
            if section not in owners:
                raise ValueError(f"--set {key}: unknown section {section!r}; use data., network. or train.")
            if name not in owners[section]:
                raise ValueError(f"--set {key}: {section} has no setting {name!r}; valid: {sorted(owners[section])}")
        else:
            sections = [s for s, names in owners.items() if key in names]
            if not sections:
                raise ValueError(f"--set {key}: no such setting in data, network ({model}) or train")
            if len(sections) > 1:
                raise ValueError(f"--set {key} is ambiguous ({', '.join(sections)}); write section.{key}")
            section, name = sections[0], key
        result.setdefault(section, {})
        result[section] = {**(result.get(section) or {}), name: parse_value(raw.strip())}
    return result
