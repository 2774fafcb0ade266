"""Spreadsheet-safe CSV cells: formulas are neutralised, and the change is reversible."""

from __future__ import annotations

import pytest

from deskpilot.safe_csv import neutralise, restore

ATTACKS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("cell", ATTACKS)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(cell: str) -> None:
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", [*ATTACKS, "'=1+1", "''-x", "plain", "", "it's", "'quoted'"])
def test_restore_gives_back_what_was_neutralised(cell: str) -> None:
    assert restore(neutralise(cell)) == cell


def test_numbers_and_empty_cells_are_left_alone() -> None:
    assert (neutralise(-3), neutralise(None), neutralise(2.5)) == (-3, None, 2.5)
