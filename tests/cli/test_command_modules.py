"""`deskpilot X` loads only the module registering X: the command table must name, for every command, the module
that registers it, and a run of one command must not import the others."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from deskpilot.cli import COMMANDS, main

ROOT = Path(__file__).resolve().parents[2]


def test_the_table_names_the_module_that_registers_each_command() -> None:
    registered: dict[str, str] = {}
    for module in sorted(set(COMMANDS.values())):
        parser = argparse.ArgumentParser()
        sub = parser.add_subparsers()
        importlib.import_module(f"deskpilot.cli.{module}").register(sub)
        registered |= dict.fromkeys(sub.choices, module)
    assert registered == COMMANDS


def test_help_and_an_unknown_command_list_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as help_exit:
        main(["--help"])
    assert help_exit.value.code == 0
    listed = capsys.readouterr().out
    assert all(command in listed for command in COMMANDS)
    with pytest.raises(SystemExit) as unknown_exit:
        main(["no-such-command"])
    assert unknown_exit.value.code == 2
    assert "invalid choice: 'no-such-command'" in capsys.readouterr().err and "kb-changes" in listed


def test_one_command_does_not_import_the_web_app_or_the_models() -> None:
    probe = ("import sys; from deskpilot.cli import main\n"
             "try:\n    main(['audit', '--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in ('deskpilot.api.app', 'sklearn', 'deskpilot.web.pages') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"})
    assert "deskpilot audit" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"
