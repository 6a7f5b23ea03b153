"""The layout README.md describes: every module of the script and of the sandbox is named there, and each stays small
enough to read as one job (the team's rule: under about 600 lines; issue 21 split the one that was not)."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(path for path in (ROOT / "scripts").rglob("*.py")
                 if "__pycache__" not in path.parts and path.name != "__init__.py")
MOST_LINES = 600


def test_the_layout_is_found():
    assert len(MODULES) >= 30 and ROOT / "scripts" / "smsonline" / "flows.py" in MODULES


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_module_is_named_in_the_readme(module):
    assert re.search(r"[`/]" + re.escape(module.name) + "`", (ROOT / "README.md").read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_every_module_stays_under_about_600_lines(module):
    assert len(module.read_text(encoding="utf-8").splitlines()) <= MOST_LINES
