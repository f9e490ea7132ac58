"""``python -m xlstm_ts.tuning sweep|sweep-report ...`` (the same as ``xlstm-ts sweep ...``)."""

from xlstm_ts.tuning.commands import main

raise SystemExit(main())
