"""keep_freed_memory: applies on Linux/glibc, refuses bad values, and the CLI's opt-out works."""

from __future__ import annotations

import platform

import pytest

import xlstm_ts
from xlstm_ts import cpu_memory


def test_applies_on_glibc_and_rejects_bad_values() -> None:
    applied = xlstm_ts.keep_freed_memory()
    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert applied is True
    else:
        assert applied is False
    with pytest.raises(ValueError, match="max_bytes must be positive"):
        cpu_memory.keep_freed_memory(0)


@pytest.mark.parametrize("value", ["0", "false", "OFF", " no "])
def test_environment_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(cpu_memory.ENV_SWITCH, value)
    calls = []
    monkeypatch.setattr(cpu_memory, "keep_freed_memory", lambda: calls.append(1) or True)
    assert cpu_memory.keep_freed_memory_unless_disabled() is False
    assert calls == []
    monkeypatch.setenv(cpu_memory.ENV_SWITCH, "1")
    assert cpu_memory.keep_freed_memory_unless_disabled() is True
    assert calls == [1]
