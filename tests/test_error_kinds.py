"""SKILL.md's exit-code table and the code agree: every kind the table names can be produced, and every kind the
code can produce is in the table, with the exit code the table gives."""
import re
from pathlib import Path

import pytest

from support import output

ROOT = Path(__file__).resolve().parent.parent
SKILL = (ROOT / "SKILL.md").read_text(encoding="utf-8")
SOURCES = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "scripts").rglob("*.py"))


def documented_kinds():
    """{kind: exit code} from the rows of SKILL.md's exit-code table: | code | `kind` / `kind` | …"""
    table = SKILL[SKILL.index("## 退出码"):]
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", table, re.M)
    return {kind: int(code) for code, kinds in rows for kind in re.findall(r"`([a-z_]+)`", kinds)}


def produced(kind):
    """The code raises or declares this kind somewhere: Failure("kind", …), Refusal("kind", …) or a kind table."""
    return bool(re.search(rf'(Failure|Refusal)\(\s*"{kind}"|"{kind}": |kind = "{kind}"|"{kind}" if', SOURCES))


def test_the_table_names_exactly_the_kinds_the_code_has_with_their_exit_codes():
    assert documented_kinds() == output.EXIT_CODES


@pytest.mark.parametrize("kind", sorted(output.EXIT_CODES))
def test_every_kind_can_be_produced(kind):
    assert produced(kind), f"nothing in scripts/ produces kind {kind!r}"
