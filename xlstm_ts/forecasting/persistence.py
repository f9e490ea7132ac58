"""Saving and loading a fitted ``XLSTMForecaster``: safetensors + JSON, never pickle.

A saved model is a directory:

* ``model.safetensors`` + ``model.json``: the xLSTM backbone, written by :func:`xlstm_ts.io.save_network`
  (so :func:`xlstm_ts.io.load_network` can read it alone);
* ``forecaster.safetensors``: the covariate head's weights (if any) and the kept contexts
  (``context.target`` (S, L), ``context.covariates`` (S, L, K), float64);
* ``forecaster.json``: ``{"format": "xlstm-ts-forecaster", "format_version", "library_version",
  "params" (get_params()), "fitted": {layout, freq, lookback, season_length, quantiles,
  series (id, last time, scaler statistics), model_config, fit_info, n_features_in}}``.

A ``streaming=True`` model writes its whole :class:`~xlstm_ts.models.streaming_net.StreamingForecastNet`
in ``model.safetensors`` (``model.json`` names it "xlstm_streaming", which
:func:`xlstm_ts.io.load_network` does not build), its recurrent state per series in
``forecaster.safetensors`` ("stream.*": the slot states, the last output, the previous patch
mean, the phase) and ``"streaming": {"stream": bool}`` in ``fitted``; a loaded model continues
the stream exactly where it was.

Loading checks the format markers, the versions, every field's presence and type, and that the
tensors match the described network; anything else is a :class:`xlstm_ts.io.ModelFileError`.
Everything is loaded on CPU.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from xlstm_ts.data.scaling import StandardScaler
from xlstm_ts.forecasting.frames import FrameLayout
from xlstm_ts.forecasting.selection import BASELINES, CHOICES, MEMBERS, uses_network
from xlstm_ts.forecasting.state import FittedState, requested_levels
from xlstm_ts.forecasting.streaming import STREAMING_MODEL, StreamingFittedState, stream_from_tensors, stream_tensors
from xlstm_ts.io import ModelFileError, load_network, save_network
from xlstm_ts.models.forecast_network import ForecastNetwork, backbone_channels

FORMAT = "xlstm-ts-forecaster"
FORMAT_VERSION = 2
"""2: the covariate paths of :class:`ForecastNetwork` (patch tokens carry covariates, the target is
the last variate token); version-1 models load only without covariates (the same network then)."""
META_FILE = "forecaster.json"
TENSOR_FILE = "forecaster.safetensors"



def _ensemble_members(fitted: dict[str, Any], chosen: str) -> tuple[str, ...] | None:
    """The members of a saved "ensemble" (None for other choices). Files written before the means
    of several members name one ``ensemble_partner`` averaged with the network (seasonal naive in
    files before Theta)."""
    if chosen != "ensemble":
        return None
    members = fitted.get("ensemble_members")
    if members is None:
        partner = fitted.get("ensemble_partner", "seasonal_naive")
        if partner not in BASELINES:
            raise ValueError(f"ensemble_partner must be one of {BASELINES}; got {partner!r}")
        return ("xlstm", partner)
    if not isinstance(members, list) or len(members) < 2 or any(m not in MEMBERS for m in members) or len(set(members)) < len(members):
        raise ValueError(f"ensemble_members must list two or more distinct members of {MEMBERS}; got {members!r}")
    return tuple(members)

def save_forecaster(state: FittedState, params: dict[str, Any], path: str | Path) -> Path:
    """Write the fitted ``state`` and the estimator's ``params`` (``get_params()``, JSON-able) to
    the directory ``path``; returns it."""
    from safetensors.torch import save_file

    from xlstm_ts import __version__

    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise ValueError(f"{directory} exists and is not a directory; save() writes a model directory")
    network = state.network
    streaming = isinstance(state, StreamingFittedState)
    if streaming:  # streaming=True: the whole network in model.safetensors, its stream in forecaster.safetensors
        save_network(directory, network, STREAMING_MODEL, state.model_config, 1, [0],
                     metadata={"written_by": "XLSTMForecaster.save"})
    else:
        n_channels, output_channels = backbone_channels(network.token_axis, network.n_covariates)
        save_network(
            directory,
            network.backbone,
            "xlstm",
            state.model_config,
            n_channels,
            output_channels,
            metadata={"written_by": "XLSTMForecaster.save"},
        )
    tensors = {
        "context.target": torch.from_numpy(np.ascontiguousarray(state.context_target, dtype=np.float64)),
        "context.covariates": torch.from_numpy(np.ascontiguousarray(state.context_covariates, dtype=np.float64)),
        **(stream_tensors(state) if streaming else network.extra_state_tensors()),
    }
    if state.history_target is not None:
        tensors["history.target"] = torch.from_numpy(np.ascontiguousarray(state.history_target, dtype=np.float64))
    save_file(tensors, str(directory / TENSOR_FILE), metadata={"format": FORMAT})
    series = [
        {
            "id": _plain(series_id),
            "last_time": _time_to_json(state.last_times[k]),
            "scaler": state.scalers[series_id].state_dict(),
        }
        for k, series_id in enumerate(state.series_ids)
    ]
    description = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "torch_version": torch.__version__,
        "params": {k: _plain(v) for k, v in params.items()},
        "fitted": {
            "layout": {k: _plain(v) for k, v in state.layout.to_dict().items()},
            "freq": _plain(state.freq),
            "lookback": state.lookback,
            "season_length": state.season_length,
            "quantiles": list(state.quantiles) if state.quantiles is not None else None,
            "n_features_in": state.n_features_in,
            "series": series,
            "model_config": state.model_config,
            "fit_info": _plain(state.fit_info),
            "interval_widths": _widths_to_json(state.interval_widths),
            "chosen_model": state.chosen_model,
            "ensemble_members": list(state.ensemble_members) if state.ensemble_members else None,
            **({"streaming": {"stream": state.stream is not None}} if streaming else {}),
        },
    }
    try:
        text = json.dumps(description, indent=2, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(
            f"cannot save this model as JSON (a parameter, id or column name is not JSON-able): {err}"
        ) from err
    (directory / META_FILE).write_text(text + "\n")
    return directory


def load_forecaster(path: str | Path) -> tuple[dict[str, Any], FittedState, Path]:
    """Read a model saved by :func:`save_forecaster` (on CPU).

    Returns:
        The estimator's parameters, the fitted state, and the description file's path (for
        messages about the parameters).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    directory = Path(path)
    if not directory.exists():
        raise ModelFileError(f"{directory} does not exist")
    if not directory.is_dir():
        raise ModelFileError(
            f"{directory} is a file, not a model directory written by XLSTMForecaster.save(); "
            f"pickled models are never loaded"
        )
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise ModelFileError(
            f"{meta_path} not found: {directory} is not a model directory written by XLSTMForecaster.save()"
        )
    try:
        description = json.loads(meta_path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelFileError(f"{meta_path} is not valid JSON ({err})") from err
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ModelFileError(f"{meta_path} is not an XLSTMForecaster description (missing format={FORMAT!r})")
    version = description.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{meta_path}: invalid format_version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{meta_path} has format_version {version}; this xlstm-ts reads up to {FORMAT_VERSION}: upgrade xlstm-ts"
        )
    try:
        params = dict(description["params"])
        fitted = dict(description["fitted"])
        layout = FrameLayout.from_dict(fitted["layout"])
        lookback = _positive_int(fitted["lookback"], "lookback")
        season = _positive_int(fitted["season_length"], "season_length")
        n_features = _positive_int(fitted["n_features_in"], "n_features_in")
        levels = fitted["quantiles"]
        levels = tuple(float(q) for q in levels) if levels is not None else None
        series_entries = list(fitted["series"])
        model_config = dict(fitted["model_config"])
        fit_info = dict(fitted.get("fit_info") or {})
        freq = fitted["freq"]
        requested = requested_levels(params.get("quantiles"))
        widths = _widths_from_json(fitted.get("interval_widths"), params.get("horizon"))
        chosen = fitted.get("chosen_model", "xlstm")
        if chosen not in CHOICES:
            raise ValueError(f"chosen_model must be one of {CHOICES}; got {chosen!r}")
        members = _ensemble_members(fitted, chosen)
        ids = [entry["id"] for entry in series_entries]
        scalers = [StandardScaler.from_state_dict(entry["scaler"]) for entry in series_entries]
        last_times = [_time_from_json(entry["last_time"], layout) for entry in series_entries]
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{meta_path} is malformed or incomplete: {type(err).__name__}: {err}") from err
    if not ids:
        raise ModelFileError(f"{meta_path} describes no series")

    horizon = params.get("horizon")
    n_q = len(levels) if levels else 0
    if model_config.get("lookback") != lookback or model_config.get("horizon") != (
        horizon * max(1, n_q) if isinstance(horizon, int) else None
    ):
        raise ModelFileError(
            f"{meta_path}: lookback={lookback}, horizon={horizon} and {n_q} quantiles disagree with the network "
            f"config (lookback={model_config.get('lookback')}, horizon={model_config.get('horizon')})"
        )
    n_cov = len(layout.covariates)
    streaming = fitted.get("streaming") is not None
    if streaming:
        network = _load_streaming_network(directory, model_config, n_cov, n_q)
    else:
        backbone, backbone_description = load_network(directory, device="cpu")
        if backbone_description.get("config") != model_config:
            raise ModelFileError(f"{directory / 'model.json'} does not describe the network of {meta_path}")
        if n_cov and version < 2:
            raise ModelFileError(
                f"{meta_path} was written by an older xlstm-ts (format_version {version}) whose covariate network "
                f"this version no longer builds; refit the model with this version"
            )
        expected_channels = backbone_channels(model_config.get("token_axis"), n_cov)
        if (backbone_description.get("n_channels"), backbone_description.get("output_channels")) != expected_channels:
            raise ModelFileError(f"{directory / 'model.json'}: the backbone's channels do not match {n_cov} covariates")
        network = ForecastNetwork(backbone, horizon, lookback, n_cov, n_q, n_past=layout.n_past, n_static=layout.n_static)
    tensor_path = directory / TENSOR_FILE
    if not tensor_path.is_file():
        raise ModelFileError(f"{tensor_path} not found next to {META_FILE}")
    try:
        tensors = load_file(str(tensor_path), device="cpu")
    except (SafetensorError, OSError) as err:
        raise ModelFileError(f"{tensor_path} is not a readable safetensors file ({err})") from err
    try:
        for prefix in ("covariate_head", "covariate_tokens"):
            module = getattr(network, prefix, None)  # the streaming network has no covariate layers
            weights = {k.removeprefix(f"{prefix}."): v for k, v in tensors.items() if k.startswith(f"{prefix}.")}
            if module is not None:
                module.load_state_dict(weights, strict=True)
            elif weights:
                raise RuntimeError(f"{prefix} weights present but this model has no such layer")
    except RuntimeError as err:
        raise ModelFileError(f"{tensor_path} does not match the network in {META_FILE}: {err}") from err
    target = tensors.get("context.target")
    covariates = tensors.get("context.covariates")
    if (
        target is None
        or covariates is None
        or tuple(target.shape) != (len(ids), lookback)
        or tuple(covariates.shape) != (len(ids), lookback, n_cov)
    ):
        raise ModelFileError(f"{tensor_path}: the kept contexts do not match {len(ids)} series of lookback {lookback}")
    history = tensors.get("history.target")
    if history is not None and (history.dim() != 2 or history.shape[0] != len(ids) or history.shape[1] < lookback):
        raise ModelFileError(
            f"{tensor_path}: the kept history {tuple(history.shape)} does not match {len(ids)} series of at least "
            f"lookback {lookback} steps"
        )

    network.eval()
    extra: dict[str, Any] = {}
    if streaming:
        try:
            extra["stream"] = stream_from_tensors(network, tensors, len(ids))
        except ValueError as err:
            raise ModelFileError(f"{tensor_path}: {err}") from err
        if (extra["stream"] is not None) != bool(fitted["streaming"].get("stream")) or (
            extra["stream"] is not None and not uses_network(chosen, members)
        ):
            raise ModelFileError(f"{tensor_path}: the network's stream does not match {meta_path}")
    state = (StreamingFittedState if streaming else FittedState)(
        layout=layout,
        freq=freq,
        season_length=season,
        lookback=lookback,
        quantiles=levels,
        requested_quantiles=requested,
        series_ids=ids,
        scalers=dict(zip(ids, scalers, strict=True)),
        model_config=model_config,
        network=network,
        fit_info=fit_info,
        context_target=target.double().numpy(),
        context_covariates=covariates.double().numpy(),
        last_times=last_times,
        n_features_in=n_features,
        interval_widths=widths,
        chosen_model=chosen,
        ensemble_members=members,
        history_target=None if history is None else history.double().numpy(),
        **extra,
    )
    return params, state, meta_path


def _load_streaming_network(directory: Path, model_config: dict[str, Any], n_cov: int, n_q: int) -> Any:
    """The ``streaming=True`` network of a model directory (``model.safetensors`` + ``model.json``)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from xlstm_ts.io import WEIGHTS_FILE, read_metadata
    from xlstm_ts.models.config import XLSTMForecastConfig
    from xlstm_ts.models.streaming_net import StreamingForecastNet

    description = read_metadata(directory)
    where = directory / "model.json"
    if description.get("model") != STREAMING_MODEL or description.get("config") != model_config:
        raise ModelFileError(f"{where} does not describe the streaming network of {directory / META_FILE}")
    if n_cov or n_q:
        raise ModelFileError(f"{directory / META_FILE}: a streaming model has neither covariates nor quantiles")
    try:
        network = StreamingForecastNet(XLSTMForecastConfig.from_dict(model_config))
        weights = load_file(str(directory / WEIGHTS_FILE), device="cpu")
        network.load_state_dict(weights, strict=True)
    except (SafetensorError, OSError, RuntimeError, TypeError, ValueError) as err:
        raise ModelFileError(f"{directory}: the streaming network cannot be loaded: {err}") from err
    return network


def _widths_to_json(widths: dict[float, np.ndarray] | None) -> list[list[Any]] | None:
    """``[[level, [w_1, ..., w_H]], ...]``; an infinite width as null."""
    if widths is None:
        return None
    return [[level, [float(w) if math.isfinite(w) else None for w in values]] for level, values in widths.items()]


def _widths_from_json(value: Any, horizon: Any) -> dict[float, np.ndarray] | None:
    if value is None:
        return None
    widths = {}
    for level, values in value:
        if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 100:
            raise ValueError(f"interval level must be a percentage in (0, 100); got {level!r}")
        array = np.array([math.inf if w is None else float(w) for w in values])
        if len(array) != horizon or (array < 0).any():
            raise ValueError(f"interval widths of level {level} must be {horizon} non-negative numbers")
        widths[level] = array
    return widths


def _positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {value!r}")
    return value


def _time_to_json(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return _plain(value)


def _time_from_json(value: Any, layout: FrameLayout) -> Any:
    if layout.time_kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"integer time expected, got {value!r}")
        return value
    if not isinstance(value, str):
        raise ValueError(f"ISO timestamp expected, got {value!r}")
    return pd.Timestamp(value)


def _plain(value: Any) -> Any:
    """numpy scalars/arrays and tuples as plain JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
