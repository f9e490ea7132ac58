"""Configuration of a training run (one flat dataclass)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

LossName = Literal["mse", "mae"]
SchedulerName = Literal["cosine", "onecycle", "constant"]


@dataclass(frozen=True)
class TrainConfig:
    """How a forecasting network is trained and selected."""

    max_epochs: int = 10
    """Upper bound on training epochs (early stopping usually ends sooner)."""
    learning_rate: float = 2e-3
    """Peak learning rate of AdamW."""
    weight_decay: float = 0.05
    """AdamW weight decay (decoupled)."""
    loss: LossName = "mae"
    """Training loss on the scaled data: "mse" or "mae" (MAE is less swayed by outliers; the
    checkpoint is still selected on validation MSE)."""
    scheduler: SchedulerName = "cosine"
    """"cosine": linear warm-up then cosine decay; "onecycle": PyTorch's OneCycleLR; "constant"."""
    warmup_fraction: float = 0.05
    """Share of the optimizer steps spent warming up (cosine schedule)."""
    gradient_clip: float = 1.0
    """Clip the gradient norm to this value (0 = no clipping)."""
    patience: int = 3
    """Early stopping: epochs without a better validation loss before stopping (0 = never stop early)."""
    select_initial: bool = False
    """Score the untrained network on validation too, so selection may keep it if no epoch beats it
    (with ``linear_skip_init="last_value"`` that is the naive forecast: never worse on validation)."""
    seed: int = 2021
    """Seed of every random generator; a seeded run reproduces its metrics on the same machine."""
    accelerator: str = "auto"
    """Lightning accelerator: "cpu", "gpu", "auto", ..."""
    devices: int | str | list[int] = 1
    """Number of devices, "auto", or a list of device indices; with strategy "ddp", one process per device."""
    strategy: str = "auto"
    """Lightning strategy, e.g. "ddp" (gloo on CPU)."""
    precision: str = "32-true"
    """Lightning precision, e.g. "bf16-mixed" on GPUs."""
    limit_train_batches: float | int = 1.0
    """Fraction (or count) of training batches per epoch (for quick runs)."""

    def __post_init__(self) -> None:
        if isinstance(self.max_epochs, bool) or not isinstance(self.max_epochs, int) or self.max_epochs < 1:
            raise ValueError(f"max_epochs must be an integer >= 1; got {self.max_epochs!r}")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be > 0; got {self.learning_rate!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0; got {self.weight_decay!r}")
        if self.loss not in ("mse", "mae"):
            raise ValueError(f"loss must be 'mse' or 'mae'; got {self.loss!r}")
        if self.scheduler not in ("cosine", "onecycle", "constant"):
            raise ValueError(f"scheduler must be 'cosine', 'onecycle' or 'constant'; got {self.scheduler!r}")
        if not 0.0 <= self.warmup_fraction < 1.0:
            raise ValueError(f"warmup_fraction must be in [0, 1); got {self.warmup_fraction!r}")
        if self.gradient_clip < 0:
            raise ValueError(f"gradient_clip must be >= 0; got {self.gradient_clip!r}")
        if self.patience < 0:
            raise ValueError(f"patience must be >= 0; got {self.patience!r}")

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "TrainConfig":
        """Build from a dict, rejecting unknown keys with the list of valid ones."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; valid: {sorted(known)}")
        return cls(**values)
