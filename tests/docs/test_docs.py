"""The docs cannot rot: every code block in README.md and docs/*.md is checked.

- ```python blocks run, in order, one namespace per page (like notebook cells), in a temporary
  working directory, with XLSTM_TS_DATA pointing at the benchmark CSVs.
- ```bash blocks: every `xlstm-ts ...` command must parse with the real argument parser, and every
  pip line installs torch==2.13.0 before anything else (as DEVELOPERS.md asks).
- ```text blocks are printed output, not code. Any other language tag fails the test.
- docs/cli.md must equal what the parser generates.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import matplotlib
import pytest

from xlstm_ts.cli import build_parser
from xlstm_ts.cli.reference import render_cli_reference

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
KNOWN = {"python", "bash", "text", "yaml"}


def blocks(page: Path) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(page.read_text())]


def shell_commands(code: str) -> list[str]:
    """Lines of a shell block with backslash continuations joined and comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [line.strip() for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_blocks_have_known_languages(page: Path) -> None:
    for language, _ in blocks(page):
        assert language in KNOWN, f"{page.name}: code block tagged {language!r}; use one of {sorted(KNOWN)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_shell_commands_parse(page: Path) -> None:
    parser = build_parser()
    for language, code in blocks(page):
        if language != "bash":
            continue
        for command in shell_commands(code):
            for part in re.split(r"\s*&&\s*", command):
                words = shlex.split(part)
                if words and words[0] == "xlstm-ts":
                    try:
                        parser.parse_args(words[1:])
                    except SystemExit as err:
                        pytest.fail(f"{page.name}: `{part}` does not parse (exit {err.code})")
                if "pip install" in part and "torch==2.13.0" not in command.split(part)[0] + part:
                    pytest.fail(f"{page.name}: `{part}` runs before `pip install torch==2.13.0`")


@pytest.mark.parametrize(
    "page", [p for p in PAGES if any(lang == "python" for lang, _ in blocks(p))], ids=lambda p: p.name
)
def test_python_blocks_run(page: Path, shared_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    matplotlib.use("Agg")
    monkeypatch.setenv("XLSTM_TS_DATA", str(shared_data_dir))
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": f"docs_{page.stem}"}
    for number, (language, code) in enumerate(blocks(page)):
        if language == "python":
            exec(compile(code, f"{page.name} block {number}", "exec"), namespace)


def test_cli_reference_is_current() -> None:
    assert (ROOT / "docs" / "cli.md").read_text() == render_cli_reference(), (
        "docs/cli.md is stale: run `python -m xlstm_ts.cli.reference docs/cli.md`"
    )
