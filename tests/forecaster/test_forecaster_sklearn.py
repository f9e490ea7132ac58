"""scikit-learn API conformance: the estimator checks, get_params/set_params/clone, NotFittedError."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from xlstm_ts.forecaster import XLSTMForecaster

# The checks feed random 2-D numpy arrays X (n_samples, n_features); XLSTMForecaster reads an
# array as n_features series of n_samples time steps (integer time), so most checks apply as
# they are: fit returns self, parameters untouched, NaN/inf/complex/sparse/empty inputs raise
# the expected errors, n_features_in_ is checked, fit is idempotent with a fixed random_state,
# pickling round-trips, ... These two cannot apply to a forecaster:
EXPECTED_FAILED_CHECKS = {
    "check_methods_sample_order_invariance": (
        "rows are time steps: predict(X) forecasts the steps after X's last row, so permuting the rows "
        "is another series with another forecast (and the output has `horizon` rows, not one per input row)"
    ),
    "check_methods_subset_invariance": (
        "predict on a subset of the rows is a forecast from a shorter history, not a subset of the "
        "forecast; single-row batches are also shorter than the lookback and raise"
    ),
}

TINY_FOR_CHECKS = XLSTMForecaster(
    horizon=2,
    lookback=8,
    embedding_dim=16,
    num_blocks=1,
    num_heads=2,
    patch_len=4,
    patch_stride=2,
    max_epochs=1,
    verbose=0,
    random_state=0,
)


def test_sklearn_supports_expected_failed_checks() -> None:
    major, minor = (int(part) for part in sklearn.__version__.split(".")[:2])
    assert (major, minor) >= (1, 6), "parametrize_with_checks(expected_failed_checks=...) needs scikit-learn >= 1.6"


@pytest.mark.filterwarnings("ignore::xlstm_ts.forecasting.NoValidationWarning")  # the checks' data are 10-30 rows
@parametrize_with_checks([TINY_FOR_CHECKS], expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_forecaster_sklearn_checks(estimator, check) -> None:
    check(estimator)


def test_params_stored_unchanged_and_clone() -> None:
    quantiles = [0.9, 0.1]
    model = XLSTMForecaster(horizon=12, quantiles=quantiles, model_kwargs={"revin": False}, lookback=None)
    params = model.get_params()
    assert params["quantiles"] is quantiles  # not sorted, not copied in __init__
    assert params["horizon"] == 12 and params["lookback"] is None
    assert params["model_kwargs"] == {"revin": False}
    copy = clone(model)
    assert copy.get_params()["quantiles"] == [0.9, 0.1]
    copy.set_params(embedding_dim=32, max_epochs=2)
    assert copy.embedding_dim == 32 and model.embedding_dim == 16


def test_fit_returns_self_and_sets_fitted_attributes(tiny, wide) -> None:
    model = tiny()
    assert model.fit(wide) is model
    for name in (
        "lookback_",
        "freq_",
        "season_length_",
        "series_ids_",
        "network_",
        "scalers_",
        "fit_info_",
        "n_features_in_",
    ):
        assert hasattr(model, name), name
    assert model.lookback_ == 24 and model.freq_ == "h" and model.season_length_ == 24
    assert model.series_ids_ == ["a", "b"]
    assert model.n_features_in_ == 3
    assert list(model.feature_names_in_) == ["ds", "a", "b"]


@pytest.mark.parametrize("method", ["predict", "evaluate", "score", "save", "plot"])
def test_not_fitted_error(tiny, wide, method, tmp_path) -> None:
    model = tiny()
    args = {"predict": (), "evaluate": (wide,), "score": (wide,), "save": (tmp_path / "m",), "plot": ()}[method]
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(model, method)(*args)


def test_random_state_makes_fit_deterministic_and_leaves_global_rng(tiny, wide) -> None:
    import torch

    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = tiny(random_state=7).fit(wide).predict()
    assert torch.rand(1).item() == expected_next.item()  # the global torch generator is untouched
    second = tiny(random_state=7).fit(wide).predict()
    np.testing.assert_array_equal(first[["a", "b"]].to_numpy(), second[["a", "b"]].to_numpy())


def test_progress_bar_only_when_verbose(tiny, wide, capfd) -> None:
    tiny(verbose=1).fit(wide)
    shown = capfd.readouterr()
    assert "Epoch" in shown.out + shown.err
    tiny(verbose=0).fit(wide)
    quiet = capfd.readouterr()
    assert quiet.out + quiet.err == ""


def test_no_validation_warning_for_short_series(tiny, make_frame) -> None:
    from xlstm_ts.forecaster import NoValidationWarning

    short = make_frame(n=33)  # 33 < lookback 24 + horizon 6 + held-out 6
    with pytest.warns(
        NoValidationWarning,
        match=r"no validation: no series is long enough .* training for max_epochs=1 epochs without early stopping",
    ):
        model = tiny().fit(short)
    assert model.fit_info_["validation"].startswith("none") and model.fit_info_["early_stopping"] is False
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", NoValidationWarning)
        tiny(validation_size=0).fit(short)  # asked for no validation: no warning


def test_defaults_are_the_projects_tuned_defaults() -> None:
    """The estimator's network and training defaults are those of XLSTMForecastConfig and TrainConfig,
    so XLSTMForecaster() trains the same network as `xlstm-ts fit`."""
    from xlstm_ts.models.config import XLSTMForecastConfig
    from xlstm_ts.training.config import TrainConfig

    params = XLSTMForecaster().get_params()
    network, training = XLSTMForecastConfig(), TrainConfig()
    for name in ("embedding_dim", "num_blocks", "num_heads", "ratio", "token_axis", "patch_len", "patch_stride", "dropout"):
        assert params[name] == getattr(network, name), name
    for name in ("max_epochs", "learning_rate", "weight_decay", "loss", "patience", "accelerator"):
        assert params[name] == getattr(training, name), name
