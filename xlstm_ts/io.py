"""Saving and loading trained networks: safetensors weights + a JSON description. Never pickles.

A model directory holds `model.safetensors` (the network's state dict) and `model.json`:
`{"format": "xlstm-ts-model", "format_version": 1, "library_version", "model" (registry name),
"config" (the network config), "n_channels", "output_channels", ...extra metadata}`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

FORMAT = "xlstm-ts-model"
FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
META_FILE = "model.json"


class ModelFileError(ValueError):
    """A model directory is missing, incomplete, or not one this version can trust."""


def save_network(
    directory: str | Path,
    network: nn.Module,
    model_name: str,
    config: dict[str, Any],
    n_channels: int,
    output_channels: list[int] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Path:
    """Write `network` to `directory` (created if needed); returns the directory."""
    from safetensors.torch import save_file

    from xlstm_ts import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in network.state_dict().items()}
    save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": FORMAT})
    description = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "model": model_name,
        "config": config,
        "n_channels": n_channels,
        "output_channels": output_channels,
        **(metadata or {}),
    }
    (directory / META_FILE).write_text(json.dumps(description, indent=2) + "\n")
    return directory


def read_metadata(directory: str | Path) -> dict[str, Any]:
    """The parsed and checked `model.json` of a model directory."""
    path = Path(directory) / META_FILE
    if not path.is_file():
        raise ModelFileError(f"{path} not found: {directory} is not a saved xlstm-ts model directory")
    try:
        description = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ModelFileError(f"{path} is not valid JSON ({err})") from err
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not an xlstm-ts model description (missing format={FORMAT!r})")
    if description.get("format_version", 0) > FORMAT_VERSION:
        raise ModelFileError(
            f"{path} has format_version {description['format_version']}; this xlstm-ts reads up to "
            f"{FORMAT_VERSION}: upgrade xlstm-ts"
        )
    return description


def load_network(directory: str | Path, device: str | torch.device = "cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the network saved in `directory` and load its weights onto `device`.

    Returns the network (in eval mode) and the model.json description.
    Raises ModelFileError for anything missing, foreign or not matching the described network.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    from xlstm_ts.models.registry import build_network

    directory = Path(directory)
    description = read_metadata(directory)
    weights = directory / WEIGHTS_FILE
    if not weights.is_file():
        raise ModelFileError(f"{weights} not found next to {META_FILE}")
    try:
        _, network = build_network(
            description["model"], description["config"], description["n_channels"], description.get("output_channels")
        )
    except (KeyError, TypeError, ValueError) as err:
        raise ModelFileError(f"{directory / META_FILE} does not describe a buildable network: {err}") from err
    try:
        state = load_file(str(weights), device=str(device))
    except (SafetensorError, OSError) as err:
        raise ModelFileError(f"{weights} is not a readable safetensors file ({err})") from err
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise ModelFileError(f"{weights} does not match the network in {META_FILE}: {err}") from err
    return network.to(device).eval(), description
