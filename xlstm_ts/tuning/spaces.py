"""Search spaces: one function per model, ``space(trial, context) -> config dict``.

The returned dict has the sections of a run config (``data``, ``network``, ``train``) holding only
the sampled settings; :func:`suggest_config` merges it over the sweep's fixed settings. Parameter
names are the config field names (``lookback``, ``ratio``, ``learning_rate`` ...), so a setting
fixed with ``--set name=value`` is simply not searched (see :class:`FixedParamsTrial`). Derived
settings that have no field of their own: ``patch_stride_fraction`` (patch_stride = fraction x
patch_len).

xLSTM: the mLSTM:sLSTM ratio xLSTM[a:b] (``RATIOS``), the number of blocks, width, heads, token
axis, patch length and stride, lookback, decomposition, dropout, learning rate, batch size.
Baselines have their own spaces; ``naive`` and ``seasonal_naive`` have none (they have no weights,
and their forecast does not depend on anything worth searching), so they run a single trial.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import optuna

RATIOS: tuple[str, ...] = ("1:0", "7:1", "3:1", "1:1", "1:3", "0:1")
"""xLSTM[a:b] ratios searched: all mLSTM, 7:1 and 3:1 (the paper's language models), balanced,
sLSTM-heavy and all sLSTM."""
BATCH_SIZES: tuple[int, ...] = (16, 32, 64, 128)
PATCH_LENS: tuple[int, ...] = (8, 16, 24, 32)
STRIDE_FRACTIONS: tuple[float, ...] = (0.5, 1.0)


@dataclass(frozen=True)
class SpaceContext:
    """What a space may depend on besides the trial: the dataset's scales."""

    lookbacks: tuple[int, ...] = (96, 192, 336, 512, 720)
    """Lookback choices (rows); at most 720, the longest lookback of the honest published results."""
    seasonal_period: int = 24
    """The dataset's main season (rows)."""
    horizon: int = 96
    """The forecast length (rows)."""

    @classmethod
    def for_dataset(cls, dataset: str, horizon: int) -> "SpaceContext":
        """Lookbacks scaled to the dataset: (96, 192, 336, 512, 720) for the long benchmarks, and
        (L/4, L/2, L) around the default lookback L of short ones (ILI: 26, 52, 104)."""
        from xlstm_ts.data.registry import get_spec

        spec = get_spec(dataset)
        default = spec.default_lookback
        if default >= 336:
            lookbacks: tuple[int, ...] = (96, 192, 336, 512, 720)
        else:
            lookbacks = tuple(sorted({max(8, default // 4), max(8, default // 2), default}))
        return cls(lookbacks=lookbacks, seasonal_period=spec.seasonal_period, horizon=horizon)


DEFAULT_CONTEXT = SpaceContext()

SearchSpace = Callable[[optuna.Trial, SpaceContext], dict[str, dict[str, Any]]]


def _common(trial: optuna.Trial, context: SpaceContext) -> tuple[int, dict[str, Any], dict[str, Any]]:
    """lookback, batch size and learning rate: (lookback, data section, train section)."""
    lookback = trial.suggest_categorical("lookback", context.lookbacks)
    batch_size = trial.suggest_categorical("batch_size", BATCH_SIZES)
    learning_rate = trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
    return lookback, {"lookback": lookback, "batch_size": batch_size}, {"learning_rate": learning_rate}


def _patches(trial: optuna.Trial, lookback: int) -> dict[str, int]:
    """Patch length (at most the lookback) and stride (a fraction of it)."""
    patch_len = min(trial.suggest_categorical("patch_len", PATCH_LENS), lookback)
    fraction = trial.suggest_categorical("patch_stride_fraction", STRIDE_FRACTIONS)
    return {"patch_len": patch_len, "patch_stride": max(1, int(round(patch_len * fraction)))}


def xlstm_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """xLSTM forecaster: ratio, blocks, width, heads, token axis, patches, decomposition, ..."""
    lookback, data, train = _common(trial, context)
    network: dict[str, Any] = {
        "ratio": trial.suggest_categorical("ratio", RATIOS),
        "num_blocks": trial.suggest_int("num_blocks", 2, 6, step=2),
        "embedding_dim": trial.suggest_categorical("embedding_dim", (32, 64, 128, 256)),
        "num_heads": trial.suggest_categorical("num_heads", (1, 2, 4, 8)),
        "token_axis": trial.suggest_categorical("token_axis", ("patch", "variate")),
    }
    if network["token_axis"] == "patch":
        network.update(_patches(trial, lookback))
    network["decomposition"] = trial.suggest_categorical("decomposition", (False, True))
    network["dropout"] = trial.suggest_float("dropout", 0.0, 0.3)
    if context.seasonal_period > 1:  # the learnable cycle of the dataset's main season, or none
        network["cycle_length"] = trial.suggest_categorical("cycle_length", (0, context.seasonal_period))
    return {"data": data, "network": network, "train": train}


def dlinear_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """DLinear: lookback, moving-average window, per-channel maps, learning rate, batch size."""
    _, data, train = _common(trial, context)
    network = {
        "moving_avg": trial.suggest_categorical("moving_avg", (13, 25, 49)),
        "individual": trial.suggest_categorical("individual", (False, True)),
    }
    return {"data": data, "network": network, "train": train}


def nlinear_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """NLinear: lookback, per-channel maps, learning rate, batch size."""
    _, data, train = _common(trial, context)
    network = {"individual": trial.suggest_categorical("individual", (False, True))}
    return {"data": data, "network": network, "train": train}


def patchtst_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """PatchTST: lookback, patches, width, heads, layers, dropout, learning rate, batch size."""
    lookback, data, train = _common(trial, context)
    d_model = trial.suggest_categorical("d_model", (64, 128, 256))
    network: dict[str, Any] = {
        **_patches(trial, lookback),
        "d_model": d_model,
        "n_heads": trial.suggest_categorical("n_heads", (4, 8, 16)),
        "e_layers": trial.suggest_int("e_layers", 1, 3),
        "d_ff": 2 * d_model,
        "dropout": trial.suggest_float("dropout", 0.0, 0.3),
    }
    return {"data": data, "network": network, "train": train}


def lstm_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """LSTM: lookback, tokens (patches or steps), hidden size, layers, dropout, learning rate, batch."""
    lookback, data, train = _common(trial, context)
    network: dict[str, Any] = {"tokens": trial.suggest_categorical("tokens", ("patch", "step"))}
    if network["tokens"] == "patch":
        network.update(_patches(trial, lookback))
    network["hidden_size"] = trial.suggest_categorical("hidden_size", (32, 64, 128, 256))
    network["num_layers"] = trial.suggest_int("num_layers", 1, 3)
    network["dropout"] = trial.suggest_float("dropout", 0.0, 0.3)
    return {"data": data, "network": network, "train": train}


def empty_space(trial: optuna.Trial, context: SpaceContext = DEFAULT_CONTEXT) -> dict[str, dict[str, Any]]:
    """No parameters (naive, seasonal_naive, theta, ets)."""
    return {"data": {}, "network": {}, "train": {}}


SPACES: dict[str, SearchSpace] = {
    "xlstm": xlstm_space,
    "naive": empty_space,
    "seasonal_naive": empty_space,
    "theta": empty_space,
    "ets": empty_space,
    "dlinear": dlinear_space,
    "nlinear": nlinear_space,
    "patchtst": patchtst_space,
    "lstm": lstm_space,
}
"""Model name (as in :data:`xlstm_ts.models.registry.MODELS`) -> its search space."""


def get_space(model: str) -> SearchSpace:
    """The search space of ``model`` (ValueError listing the names that have one)."""
    try:
        return SPACES[model]
    except KeyError:
        raise ValueError(f"no search space for model {model!r}; models with one: {sorted(SPACES)}") from None


class FixedParamsTrial:
    """A trial whose ``suggest_*`` return fixed values for some names without sampling them.

    Everything else is the wrapped trial's. Used so that ``--set lookback=48`` removes
    ``lookback`` from the search instead of sampling it and overriding the sample.
    """

    def __init__(self, trial: Any, fixed: Mapping[str, Any]) -> None:
        self._trial = trial
        self._fixed = dict(fixed)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        return self._fixed[name] if name in self._fixed else self._trial.suggest_categorical(name, choices)

    def suggest_int(self, name: str, low: int, high: int, **kwargs: Any) -> int:
        return self._fixed[name] if name in self._fixed else self._trial.suggest_int(name, low, high, **kwargs)

    def suggest_float(self, name: str, low: float, high: float, **kwargs: Any) -> float:
        return self._fixed[name] if name in self._fixed else self._trial.suggest_float(name, low, high, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trial, name)


class ProbeTrial:
    """Records every parameter a space asks for (``params``), answering with the first choice /
    the low end."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    @property
    def names(self) -> list[str]:
        return list(self.params)

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        self.params[name] = choices[0]
        return choices[0]

    def suggest_int(self, name: str, low: int, high: int, **kwargs: Any) -> int:
        self.params[name] = low
        return low

    def suggest_float(self, name: str, low: float, high: float, **kwargs: Any) -> float:
        self.params[name] = low
        return low


def space_parameters(model: str, context: SpaceContext = DEFAULT_CONTEXT) -> tuple[str, ...]:
    """Every parameter name the space of ``model`` can sample (the first branch of each
    conditional, which is the one with the most parameters)."""
    probe = ProbeTrial()
    get_space(model)(probe, context)  # type: ignore[arg-type]
    return tuple(probe.names)


def merge_sections(base: Mapping[str, Any], sampled: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (the nested run-config dict) with each section updated by ``sampled``'s."""
    result = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in base.items()}
    for section, values in sampled.items():
        result[section] = {**(result.get(section) or {}), **values}
    return result


def suggest_config(
    model: str,
    trial: Any,
    base: Mapping[str, Any],
    context: SpaceContext = DEFAULT_CONTEXT,
    fixed: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The nested config dict of one trial: ``base`` updated with the space's samples (parameters
    named in ``fixed`` are not sampled, they take the fixed value)."""
    space_trial = FixedParamsTrial(trial, fixed) if fixed else trial
    sampled = get_space(model)(space_trial, context)
    return merge_sections({**base, "model": model}, sampled)
