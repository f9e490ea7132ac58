"""``python -m xlstm_ts.cli ...``: the same as the ``xlstm-ts`` command."""

from xlstm_ts.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
