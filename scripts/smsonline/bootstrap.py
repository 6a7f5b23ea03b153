"""Before any command: the requirements are there, or the run moves to the skill's own .venv, or says how to install
them. Cheap: nothing imported but os and sys, and a module is looked for without loading it (the finders Python
itself asks), so `orders` or `--help` do not pay for an import of requests; the entry script runs it first."""
import os
import sys

REQUIRED = {"requests": "requests", "urllib3": "urllib3", "dotenv": "python-dotenv"}  # module: what pip installs
OPTIONAL = {"phonenumbers": "phonenumberslite"}
SKILL_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_DIR = os.path.join(SKILL_DIR, ".venv")
VENV_PYTHON = os.path.join(VENV_DIR, "bin", "python")
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -r requirements.txt"
REEXEC_MARK = "SMSONLINE_REEXEC"  # set for the run re-executed with the .venv's python: it never re-executes again


def findable(module):
    return any(finder.find_spec(module, None) for finder in sys.meta_path if hasattr(finder, "find_spec"))


def absent(modules):
    """What pip would install for each of these modules that this Python cannot find."""
    return [package for module, package in modules.items() if not findable(module)]


def not_loading(modules):
    """What pip would install for each of these modules that this Python cannot import (missing, broken, too old)."""
    failed = []
    for module, package in modules.items():
        try:
            __import__(module)
        except Exception:  # noqa: BLE001  (missing, or broken: either way it cannot serve the run)
            failed.append(package)
    return failed


def in_skill_venv():
    return os.path.normcase(os.path.abspath(sys.prefix)) == os.path.normcase(VENV_DIR)


def reexec_with_skill_venv(argv, environ=os.environ):
    """A requirement missing here (phonenumberslite too: the number's fields) and the skill's .venv there: run this
    very command with its python instead (once: the mark stops a .venv that lacks them too from starting itself
    again). Returns only if it does not."""
    if environ.get(REEXEC_MARK) or in_skill_venv() or not os.access(VENV_PYTHON, os.X_OK) or \
            not absent({**REQUIRED, **OPTIONAL}):  # looked for last: the cheap tests settle most runs
        return
    os.execve(VENV_PYTHON, [VENV_PYTHON, *argv], {**environ, REEXEC_MARK: "1"})


def missing_requirements(load):
    """A message naming the requirements this Python lacks and the one command that installs them, or None.
    load: import them (after an ImportError: found, yet do they load?); else only look for them (cheap)."""
    missing = not_loading(REQUIRED) if load else absent(REQUIRED)
    if not missing:
        return None
    where = "the skill's .venv" if in_skill_venv() else f"this Python ({sys.executable})"
    return (f"{', '.join(missing)} cannot be loaded by {where}, and nothing was sent or bought. Install the "
            f"requirements once, in the skill folder {SKILL_DIR}: `{INSTALL}`; the script then runs with .venv by "
            "itself, whichever python3 starts it.")


def missing_optional_note():
    """The warning for a line whose number fields stay null because phonenumberslite is missing, or None."""
    missing = not_loading(OPTIONAL)
    if not missing:
        return None
    return (f"{', '.join(missing)} is not installed, so the number is as the platform wrote it (dial_code, "
            f"national_number and region null); install the requirements in the skill folder {SKILL_DIR}: "
            f"`{INSTALL}`.")
