"""``python -m xlstm_ts.tuning sweep|sweep-report ...``: the ``xlstm-ts`` command (:func:`xlstm_ts.cli.main`)."""

from xlstm_ts.cli import main

raise SystemExit(main())
