"""``xlstm-ts sweep --data FILE --target ...``: tune ``XLSTMForecaster`` on the user's own file.

The trials (:func:`xlstm_ts.tuning.file_sweep.run_file_sweep`) are scored on the validation part
the estimator holds out; the best parameters are then fitted the usual way (model choice, refit on
every row) into a run directory like ``xlstm-ts fit --data`` writes (``config.yaml`` reruns it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from xlstm_ts.cli.common import CLIError
from xlstm_ts.cli.files import (
    _fit_summary,
    estimator_params,
    fit_and_write,
    file_run_settings,
    read_file_input,
)


def cmd_sweep_file(args: argparse.Namespace) -> int:
    """The file face of ``xlstm-ts sweep``; returns the exit code."""
    from xlstm_ts.tuning.file_sweep import FILE_SPACE_PARAMETERS, run_file_sweep

    for flag in ("model", "baselines"):
        if getattr(args, flag, None) not in (None, "", "xlstm"):
            raise CLIError(f"--{flag} is for benchmark sweeps; a file sweep tunes the xLSTM network "
                           f"(the simple forecasts are compared when the best setting is fitted)")
    if getattr(args, "trial_budget", None) is not None:
        raise CLIError("--trial-budget is for benchmark sweeps (a file sweep's trials are estimator fits); leave it out")
    if getattr(args, "threads", None) is not None:  # one process: the trials run one after another
        import torch

        torch.set_num_threads(args.threads)
    data, estimator = file_run_settings(argparse.Namespace(**{**vars(args), "model": None}))
    searched = [name for name in FILE_SPACE_PARAMETERS if name in estimator and name != "lookback"]
    if searched:
        raise CLIError(f"--set {', '.join(searched)}: the sweep searches these; leave them out")
    frame = read_file_input(data, data["path"], "--data")
    params = estimator_params(data, estimator, frame)
    name = args.study_name or f"{Path(data['path']).stem}-h{params.get('horizon', 24)}"
    out = Path(args.output_dir)
    storage = Path(args.storage) if args.storage else out / f"{name}.journal"
    if str(storage).startswith(("sqlite:", "postgresql:")):
        raise CLIError("a file sweep stores its trials in a journal file: give --storage PATH")
    print(f"sweep {name}: {args.trials} trial(s) on {data['path']} (journal {storage})")
    result = run_file_sweep(frame, params, trials=args.trials, seed=args.seed, storage=storage, study_name=name,
                            timeout=args.timeout)
    shown = ", ".join(f"{k}={v}" for k, v in result.best_params.items())
    print(f"best of {len(result.study.trials)} trial(s): validation loss {result.best_value:.5g} ({shown})")
    if args.no_refit:
        return 0
    best = {**params, **result.best_params}
    if not args.progress:
        best["verbose"] = 0
    run_dir = out / name
    extra = {"sweep": {"study": name, "storage": str(storage), "trials": len(result.study.trials),
                       "best_params": result.best_params, "best_validation_loss": result.best_value}}
    metrics = fit_and_write(data, best, frame, run_dir, extra=extra)
    print(_fit_summary(metrics, run_dir))
    return 0
