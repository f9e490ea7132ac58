"""Lazy public exports for package ``__init__`` modules (so importing a package stays light)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` whose public names live in submodules.

    Args:
        package: the package's ``__name__``.
        exports: public name -> defining module, absolute (``"xlstm_ts.pipeline.fit"``) or
            relative to the package (``"fit"``).
    Returns:
        ``(__getattr__, __dir__)``: a name is imported on first access and cached in the package.
    """

    def module_of(name: str) -> str:
        where = exports[name]
        return where if where.startswith(package.split(".")[0] + ".") else f"{package}.{where}"

    def __getattr__(name: str) -> Any:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(module_of(name)), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *exports})

    return __getattr__, __dir__
