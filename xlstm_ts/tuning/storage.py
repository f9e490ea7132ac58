"""Where a sweep lives: open an Optuna storage from a URL, detect dead workers, share the budget.

Storage URLs (``xlstm-ts sweep --storage``):

* a file path (``sweeps/ETTh1.journal``) or ``journal:PATH`` / ``journal:///ABS/PATH``: Optuna's
  append-only journal file (:class:`optuna.storages.JournalStorage` on a
  :class:`~optuna.storages.journal.JournalFileBackend`). No server, safe for several worker
  processes on one host. The default, at ``<output-dir>/<study-name>.journal``.
* ``sqlite:///FILE``: an SQLite database (:class:`optuna.storages.RDBStorage`); meant for one
  process (SQLite serializes writers, several processes on it see "database is locked").
* ``postgresql://USER:PASSWORD@HOST:PORT/DB`` (needs ``psycopg2``): many workers on many machines.
  ``mysql://`` works the same way with a MySQL driver (untested here).

Dead workers. A worker killed mid-trial (SIGKILL, OOM killer, power loss) cannot mark its trial
failed, so every storage gets a heartbeat:

* RDB storages use Optuna's own: ``RDBStorage(heartbeat_interval=..., grace_period=...)``; a
  RUNNING trial whose heartbeat is older than the grace period is failed by the next worker that
  starts a trial (:func:`optuna.storages.fail_stale_trials`, run by ``study.optimize``).
* The journal storage has no heartbeat in Optuna; :class:`JournalHeartbeatStorage` adds one
  through the same interface (:class:`optuna.storages._heartbeat.BaseHeartbeat`): a thread
  writes the time into the trial's system attribute ``xlstm_ts:heartbeat`` every
  ``heartbeat_interval`` seconds, and a RUNNING trial whose last heartbeat (or start) is older than
  ``grace_period`` is stale.
* On both, a RUNNING trial whose worker ran on *this* machine (same host name, boot and PID
  namespace) and whose process is gone (no such PID, a zombie, or a PID reused by a younger
  process) is stale at once, without waiting for the grace period.

A stale trial gets the user attribute ``fail_reason`` and the state FAIL.

Torn journal lines. A worker killed in the middle of an append to the journal (or one that hits a
full disk) leaves a last line without its end. Optuna skips such a line when it reads, but the next
append would be glued to it, and from then on no worker could read the journal. The journal
backend here (:class:`TornTailSafeJournalFileBackend`) first cuts a torn last line, under the
journal's lock (no live writer is mid-append then), before each append.

Budget. ``study.optimize`` cannot stop a set of workers at exactly N trials (each counts, then
asks: two workers can both see N - 1). :func:`budget_lock` gives the sweep loop a lock held from
the count to the ``ask`` of the next trial: an ``flock`` on ``<file>.sweep-lock`` next to a journal
or SQLite file, a PostgreSQL advisory lock (``pg_advisory_lock``) on PostgreSQL, a no-op otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import time
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import get_lock_file
from optuna.trial import FrozenTrial, TrialState

HEARTBEAT_KEY = "xlstm_ts:heartbeat"
"""Trial system attribute: epoch seconds of the journal storage's last heartbeat."""
WORKER_KEY = "worker"
"""Trial user attribute: who runs the trial (host, machine id, pid, process start)."""
FAIL_REASON_KEY = "fail_reason"
"""Trial user attribute: why a trial failed (set by the objective or the stale-trial check)."""
DEFAULT_HEARTBEAT_INTERVAL = 30
DEFAULT_GRACE_PERIOD = 120

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_RDB_SCHEMES = ("sqlite", "postgresql", "mysql")


class StorageError(ValueError):
    """A storage URL that cannot be used; the message says why and what to write instead."""


# --------------------------------------------------------------------------- URLs
@dataclass(frozen=True)
class StorageSpec:
    """A parsed storage URL."""

    kind: str
    """"journal" or "rdb"."""
    url: str
    """What to hand to Optuna (the journal file path, or the database URL)."""
    display: str
    """The URL with any password masked, for messages."""
    dialect: str = ""
    """"sqlite", "postgresql", "mysql" for RDB URLs."""
    path: Path | None = None
    """The journal or SQLite file, if the storage is a file."""


_HELP = (
    "use a journal file path (e.g. sweeps/study.journal, the default), sqlite:///FILE.db "
    "(one process) or postgresql://USER:PASSWORD@HOST:PORT/DB (many machines)"
)


def mask_url(url: str) -> str:
    """``url`` with the password replaced by ***."""
    return re.sub(r"(://[^:/@]*:)[^@/]*@", r"\1***@", url)


def parse_storage_url(url: str) -> StorageSpec:
    """Classify a storage URL (see the module docstring); StorageError if it cannot be used."""
    if not isinstance(url, str) or not url.strip():
        raise StorageError(f"empty storage URL; {_HELP}")
    url = url.strip()
    display = mask_url(url)
    match = _SCHEME_RE.match(url)
    if match is None or (len(match.group(1)) == 1 and os.name == "nt"):
        return StorageSpec("journal", url, display, path=Path(url))
    scheme = match.group(1).lower()
    base = scheme.split("+", 1)[0]
    if base in ("journal", "file"):
        rest = url[len(scheme) + 1 :]
        if rest.startswith("//"):
            rest = rest[2:]
        if not rest:
            raise StorageError(f"storage {display!r} names no file; {_HELP}")
        return StorageSpec("journal", rest, display, path=Path(rest))
    if base == "postgres":
        raise StorageError(f"storage {display!r}: write postgresql:// (SQLAlchemy does not accept postgres://)")
    if base in _RDB_SCHEMES:
        if "://" not in url:
            raise StorageError(f"storage {display!r} is not a database URL; did you mean {scheme}:///{url[len(scheme) + 1:]}?")
        try:
            from sqlalchemy.engine import make_url

            parsed = make_url(url)
        except Exception as err:  # sqlalchemy.exc.ArgumentError
            raise StorageError(f"storage {display!r} is not a valid database URL ({err}); {_HELP}") from None
        path = None
        if base == "sqlite":
            if not parsed.database or parsed.database == ":memory:":
                raise StorageError(f"storage {display!r}: an in-memory SQLite database cannot hold a sweep; give a file: sqlite:///sweeps/study.db")
            path = Path(parsed.database)
        elif not parsed.host and not parsed.query.get("host"):
            raise StorageError(f"storage {display!r} names no database host; e.g. postgresql://user:pass@127.0.0.1:5432/optuna")
        return StorageSpec("rdb", url, display, dialect=base, path=path)
    if base == "redis":
        raise StorageError(f"storage {display!r}: Redis journals are not supported by xlstm-ts sweep; {_HELP}")
    raise StorageError(f"storage {display!r} has an unsupported scheme {scheme!r}; {_HELP}")


# --------------------------------------------------------------------------- workers
def _read(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return None


def machine_id() -> str:
    """Host name + boot id + PID namespace: two workers with the same id see the same PIDs."""
    boot = _read("/proc/sys/kernel/random/boot_id") or "?"
    try:
        pidns = os.readlink("/proc/self/ns/pid")
    except OSError:
        pidns = "?"
    return f"{socket.gethostname()}|{boot}|{pidns}"


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks since boot) of a Linux process, None if gone."""
    text = _read(f"/proc/{pid}/stat")
    if text is None:
        return None
    fields = text[text.rfind(")") + 2 :].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def process_start(pid: int) -> int | None:
    """Start time of a process (clock ticks since boot), None where /proc is missing."""
    stat = _proc_stat(pid)
    return stat[1] if stat else None


def worker_identity() -> dict[str, Any]:
    """What a trial records about the process running it (user attribute ``worker``)."""
    pid = os.getpid()
    return {"host": socket.gethostname(), "machine": machine_id(), "pid": pid, "pid_start": process_start(pid)}


def pid_alive(pid: int, start: int | None = None) -> bool:
    """Whether process ``pid`` runs (not a zombie), and is the one that started at ``start``."""
    if os.path.isdir("/proc/self"):
        stat = _proc_stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            return False
        return start is None or stat[1] == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def dead_worker_reason(trial: FrozenTrial) -> str | None:
    """Why a RUNNING trial's worker is known to be dead (same machine, process gone), else None."""
    worker = trial.user_attrs.get(WORKER_KEY)
    if not isinstance(worker, dict) or worker.get("machine") != machine_id():
        return None
    pid = worker.get("pid")
    if not isinstance(pid, int) or pid == os.getpid():
        return None
    if pid_alive(pid, worker.get("pid_start")):
        return None
    return f"worker process {pid} on {worker.get('host')} is gone (killed or crashed) while running the trial"


def local_workers(storage: BaseStorage) -> int:
    """Sweep workers running a trial on this machine now (in any study of ``storage``), this
    process counted once whether or not it runs one: distinct live processes of RUNNING trials."""
    here, me = machine_id(), os.getpid()
    pids = {me}
    for study in storage.get_all_studies():
        for trial in storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            worker = trial.user_attrs.get(WORKER_KEY)
            if not isinstance(worker, dict) or worker.get("machine") != here:
                continue
            pid = worker.get("pid")
            if isinstance(pid, int) and pid not in pids and pid_alive(pid, worker.get("pid_start")):
                pids.add(pid)
    return len(pids)


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _mark_reason(storage: BaseStorage, trial_id: int, reason: str) -> bool:
    try:
        storage.set_trial_user_attr(trial_id, FAIL_REASON_KEY, reason)
    except (UpdateFinishedTrialError, KeyError, RuntimeError):
        return False
    return True


# --------------------------------------------------------------------------- storages
_RECORD_START = b'{"op_code":'
"""How every line of an Optuna journal starts (``json.dumps`` of ``{"op_code": ..., ...}``)."""


def cut_torn_tail(path: str | Path) -> int:
    """Remove a last line without its newline that starts like a journal record (an append cut
    short by a kill or a full disk); returns the number of bytes removed. Call under the journal's
    lock: a live writer's append in progress looks the same."""
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return 0
        end = size  # find the start of the last line, reading backwards
        while end > 0:
            start = max(0, end - 65536)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                cut = start + newline + 1
                break
            end = start
        else:
            cut = 0
        handle.seek(cut)
        tail = handle.read(len(_RECORD_START))
        if not (tail.startswith(_RECORD_START) or _RECORD_START.startswith(tail)):
            return 0  # not a torn journal record: leave the file to Optuna's own checks
        handle.truncate(cut)
        handle.flush()
        os.fsync(handle.fileno())
    warnings.warn(f"{path}: removed a torn last line ({size - cut} bytes) left by a worker killed while "
                  "writing it; that write had not taken effect", RuntimeWarning, stacklevel=2)
    return size - cut


class TornTailSafeJournalFileBackend(JournalFileBackend):
    """Optuna's journal file, whose appends first cut a torn last line (see the module docstring)."""

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        with get_lock_file(self._lock):
            cut_torn_tail(self._file_path)
            text = "\n".join(json.dumps(log, separators=(",", ":")) for log in logs) + "\n"
            with open(self._file_path, "ab") as handle:
                handle.write(text.encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())


class JournalHeartbeatStorage(JournalStorage, BaseHeartbeat):
    """A journal storage with a heartbeat, so that Optuna fails the trials of dead workers.

    Optuna's ``study.optimize`` runs :meth:`record_heartbeat` in a thread every
    ``heartbeat_interval`` seconds while a trial runs, and before each new trial fails the trials
    :meth:`_get_stale_trial_ids` returns (exactly as for ``RDBStorage(heartbeat_interval=...)``).
    """

    def __init__(self, backend: Any, *, heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL,
                 grace_period: int | None = None) -> None:
        super().__init__(backend)
        _check_heartbeat(heartbeat_interval, grace_period)
        self._heartbeat_interval = int(heartbeat_interval)
        self._grace_period = int(grace_period) if grace_period is not None else 2 * self._heartbeat_interval

    def record_heartbeat(self, trial_id: int) -> None:
        try:
            self.set_trial_system_attr(trial_id, HEARTBEAT_KEY, time.time())
        except (UpdateFinishedTrialError, KeyError):
            pass  # the trial ended (or was failed as stale by another worker)

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        stale = []
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            reason = dead_worker_reason(trial)
            if reason is None:
                last = trial.system_attrs.get(HEARTBEAT_KEY)
                if not isinstance(last, (int, float)):
                    last = trial.datetime_start.timestamp() if trial.datetime_start else now
                if now - last > self._grace_period:
                    reason = (f"no heartbeat for {now - last:.0f} s (grace period {self._grace_period} s): "
                              f"its worker was killed or lost")
            if reason is not None and _mark_reason(self, trial._trial_id, reason):
                stale.append(trial._trial_id)
        return stale

    def get_heartbeat_interval(self) -> int | None:
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(self) -> None:
        return None

    @property
    def grace_period(self) -> int:
        return self._grace_period


class HeartbeatRDBStorage(RDBStorage):
    """``RDBStorage`` with Optuna's heartbeat, plus the same-machine dead-process check, and a
    ``fail_reason`` on every trial it fails."""

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        grace = self.grace_period if self.grace_period is not None else 2 * (self.heartbeat_interval or 0)
        reasons = {
            trial_id: f"no heartbeat for more than {grace} s: its worker was killed or lost"
            for trial_id in super()._get_stale_trial_ids(study_id)
        }
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,)):
            reason = dead_worker_reason(trial)
            if reason is not None:
                reasons[trial._trial_id] = reason
        return [trial_id for trial_id, reason in reasons.items() if _mark_reason(self, trial_id, reason)]


def _check_heartbeat(interval: Any, grace: Any) -> None:
    if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
        raise StorageError(f"heartbeat interval must be an integer >= 1 second; got {interval!r}")
    if grace is not None and (isinstance(grace, bool) or not isinstance(grace, int) or grace <= interval):
        raise StorageError(f"grace period must be an integer number of seconds > the heartbeat interval ({interval}); got {grace!r}")


def open_storage(
    url: str,
    *,
    heartbeat_interval: int = DEFAULT_HEARTBEAT_INTERVAL,
    grace_period: int | None = DEFAULT_GRACE_PERIOD,
) -> tuple[BaseStorage, StorageSpec]:
    """Open (creating if needed) the storage at ``url`` with a heartbeat.

    Raises:
        StorageError: unsupported or malformed URL, missing database driver, unreachable server,
            unwritable or corrupt file; the message names the URL (password masked).
    """
    spec = parse_storage_url(url)
    _check_heartbeat(heartbeat_interval, grace_period)
    if spec.kind == "journal":
        return _open_journal(spec, heartbeat_interval, grace_period), spec
    return _open_rdb(spec, heartbeat_interval, grace_period), spec


def _check_journal_head(spec: StorageSpec) -> None:
    """A non-empty journal starts with a JSON operation record (Optuna skips a bad last line)."""
    assert spec.path is not None
    with open(spec.path, "rb") as handle:
        head = handle.readline(1 << 20)
    if not head.strip():
        return
    if not head.endswith(b"\n") and (head.startswith(_RECORD_START) or _RECORD_START.startswith(head)):
        return  # the only line, torn (killed during the first append): cut before the next append
    try:
        record = json.loads(head)
        ok = isinstance(record, dict) and "op_code" in record
    except ValueError:
        ok = False
    if not ok:
        raise StorageError(f"{spec.display!r} is not an Optuna journal file (its first line is no journal record)")


def _open_journal(spec: StorageSpec, interval: int, grace: int | None) -> JournalHeartbeatStorage:
    assert spec.path is not None
    path = spec.path
    if path.is_dir():
        raise StorageError(f"storage {spec.display!r} is a directory; give a file such as {path / 'study.journal'}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = TornTailSafeJournalFileBackend(str(path))
        with open(path, "ab"):
            pass
    except OSError as err:
        raise StorageError(f"cannot open the journal file {spec.display!r}: {err.strerror or err}") from None
    _check_journal_head(spec)
    storage = JournalHeartbeatStorage(backend, heartbeat_interval=interval, grace_period=grace)
    try:
        storage.get_all_studies()  # replays the log: a file that is not a journal fails here
    except Exception as err:
        raise StorageError(f"{spec.display!r} is not an Optuna journal file ({type(err).__name__}: {err})") from None
    return storage


def _create_rdb(url: str, engine_kwargs: dict[str, Any], interval: int, grace: int | None,
                attempts: int = 6) -> HeartbeatRDBStorage:
    """``HeartbeatRDBStorage(url)``, retried when workers starting together race to create
    Optuna's tables in a new database (duplicate table / type / key errors, "database is locked")."""
    import random

    from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return HeartbeatRDBStorage(url, engine_kwargs=engine_kwargs, heartbeat_interval=interval,
                                           grace_period=grace)
        except (IntegrityError, ProgrammingError, OperationalError) as err:
            racy = not isinstance(err, OperationalError) or "locked" in str(err)
            if not racy or attempt == attempts - 1:
                raise
            time.sleep(0.2 + random.random() * (attempt + 1))
    raise AssertionError("unreachable")


def _with_driver(spec: StorageSpec) -> str:
    """``postgresql://`` with the installed driver: SQLAlchemy 2.1 defaults to psycopg (3); use
    psycopg2 when only that is installed."""
    scheme = spec.url.split(":", 1)[0].lower()
    if scheme != "postgresql":
        return spec.url
    import importlib.util

    if importlib.util.find_spec("psycopg") is None and importlib.util.find_spec("psycopg2") is not None:
        return "postgresql+psycopg2" + spec.url[len(scheme):]
    return spec.url


def _open_rdb(spec: StorageSpec, interval: int, grace: int | None) -> HeartbeatRDBStorage:
    engine_kwargs: dict[str, Any] = {}
    if spec.dialect == "sqlite":
        assert spec.path is not None
        try:
            spec.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StorageError(f"cannot create the folder of {spec.display!r}: {err.strerror or err}") from None
        engine_kwargs["connect_args"] = {"timeout": 60}
    else:
        engine_kwargs["pool_pre_ping"] = True
    url = _with_driver(spec)
    try:
        return _create_rdb(url, engine_kwargs, interval, grace)
    except ImportError as err:
        missing = getattr(err.__cause__, "name", None) or getattr(err, "name", None) or "its driver"
        hint = "pip install psycopg2-binary (or xlstm-ts[postgres])" if spec.dialect == "postgresql" else "install it"
        raise StorageError(f"storage {spec.display!r} needs the database driver module {missing!r}: {hint}") from None
    except Exception as err:
        detail = str(getattr(err, "orig", None) or err).strip().splitlines()
        first = detail[0] if detail else type(err).__name__
        raise StorageError(f"cannot open storage {spec.display!r}: {first}") from None


# --------------------------------------------------------------------------- budget lock
class BudgetLock:
    """Serializes "count the trials, ask the next one" across workers; ``release`` is idempotent."""

    held = False

    def acquire(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False

    def __enter__(self) -> "BudgetLock":
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


class FileBudgetLock(BudgetLock):
    """``flock`` on a side file (processes on one host; on NFS as far as its locks go)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: Any = None

    def acquire(self) -> None:
        if self._handle is None:
            self._handle = open(self.path, "a+")
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_EX)
            self.held = True

    def release(self) -> None:
        if self._handle is not None:
            try:
                fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            finally:
                self._handle.close()
                self._handle = None
                self.held = False


class PostgresBudgetLock(BudgetLock):
    """A session-level ``pg_advisory_lock`` keyed by the study name."""

    def __init__(self, engine: Any, name: str) -> None:
        self.engine = engine
        self.key = zlib.crc32(f"xlstm_ts.sweep:{name}".encode())
        self._connection: Any = None

    def acquire(self) -> None:
        if self._connection is None:
            from sqlalchemy import text

            connection = self.engine.connect()
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": self.key})
            connection.commit()
            self._connection = connection
            self.held = True

    def release(self) -> None:
        if self._connection is not None:
            from sqlalchemy import text

            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
                self._connection.commit()
            finally:
                self._connection.close()
                self._connection = None
                self.held = False


def budget_lock(storage: BaseStorage, spec: StorageSpec, study_name: str) -> BudgetLock:
    """The lock that makes the trial budget exact for this storage (see the module docstring)."""
    if spec.path is not None:
        return FileBudgetLock(Path(f"{spec.path}.sweep-lock"))
    if spec.dialect == "postgresql" and isinstance(storage, RDBStorage):
        return PostgresBudgetLock(storage.engine, study_name)
    return BudgetLock()
