"""`deskpilot eval classify` end to end through `deskpilot.cli.main`, on small real CSVs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from deskpilot.cli import main

DATASETS = Path(__file__).resolve().parents[3] / "shared" / "datasets"
LABELS = ("card_arrival", "lost_or_stolen_card", "exchange_rate", "pin_blocked")
JSON_KEYS = {
    "accuracy",
    "macro_f1",
    "in_scope_accuracy",
    "oos_recall",
    "train_seconds",
    "predict_per_second",
    "p50_ms",
    "p99_ms",
}


def _write(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(rows)
    return path


def _slice(split: str, per_label: int, labels: tuple[str, ...] = LABELS) -> list[tuple[str, str]]:
    path = DATASETS / "banking77" / f"{split}.csv"
    if not path.is_file():
        pytest.skip(f"shared dataset {path} is not available")
    counts = dict.fromkeys(labels, 0)
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["label"] in counts and counts[row["label"]] < per_label:
                counts[row["label"]] += 1
                rows.append((row["text"], row["label"]))
    return rows


@pytest.fixture(scope="module")
def split_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("classify")
    return _write(folder / "train.csv", _slice("train", 10)), _write(folder / "test.csv", _slice("test", 3))


def test_table_compares_ours_with_the_baseline(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = split_files
    assert main(["eval", "classify", "--train", str(train), "--test", str(test)]) == 0
    out, err = capsys.readouterr()
    assert "ours" in out and "baseline" in out
    for key in ("accuracy", "macro_f1", "train_seconds", "predict_per_second", "p50_ms", "p99_ms"):
        assert key in out
    assert "oos_recall" not in out
    assert "embedding" in err and "cross-validation fold" in err


def test_cross_validation_json_has_the_public_keys_for_ours_and_the_baseline(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "classify", "--train", str(split_files[0]), "--cv", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == JSON_KEYS | {"baseline"}
    assert set(report["baseline"]) == JSON_KEYS
    assert report["in_scope_accuracy"] is None and report["oos_recall"] is None
    assert 0.5 < report["accuracy"] <= 1.0
    assert report["predict_per_second"] > 0 and report["p99_ms"] >= report["p50_ms"] > 0


def test_oos_data_reports_in_scope_accuracy_and_oos_recall(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oos = [("what is the capital of peru", "oos"), ("sing me a song about pirates", "oos"),
           ("how tall is mount everest", "oos"), ("recommend a good pizza topping", "oos"),
           ("who won the football game", "oos"), ("tell me a joke about cats", "oos")]
    train = _write(tmp_path / "train.csv", _slice("train", 8, LABELS[:3]) + oos)
    test = _write(tmp_path / "test.csv", _slice("test", 2, LABELS[:3]) + [("what time is sunset", "oos")])
    assert main(["eval", "classify", "--train", str(train), "--test", str(test)]) == 0
    out = capsys.readouterr().out
    assert "in_scope_accuracy" in out and "oos_recall" in out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("text,category\nhello,a\n", "missing column(s) label"),
        ("text,label\n", "no data rows"),
        (b"text,label\ncaf\xe9,a\n", "not UTF-8"),
        ("text,label\nhello,\nbye,b\n", "line 2 has an empty label"),
    ],
)
def test_bad_input_exits_2_with_a_one_line_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, message: str
) -> None:
    bad = tmp_path / "bad.csv"
    if isinstance(content, bytes):
        bad.write_bytes(content)
    elif content is not None:
        bad.write_text(content, encoding="utf-8")
    assert main(["eval", "classify", "--train", str(bad), "--test", str(bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_either_test_file_or_cross_validation_is_required(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "classify", "--train", str(split_files[0])]) == 2
    assert "--test TEST.csv or --cv K" in capsys.readouterr().err


@pytest.mark.parametrize("shots", [0, 3])
def test_cold_start_shots_keep_the_public_keys_and_say_what_they_trained_on(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], shots: int
) -> None:
    train, test = split_files
    assert main(["eval", "classify", "--train", str(train), "--test", str(test), "--shots", str(shots), "--json"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert set(report) == JSON_KEYS | {"baseline", "shots", "train_rows", "test_rows"}
    assert set(report["baseline"]) == JSON_KEYS
    assert report["shots"] == shots and report["test_rows"] == 12
    assert report["train_rows"] == len(LABELS) * (shots + 1)
    assert "card_arrival -> 'card arrival'" in captured.err
    assert report["accuracy"] > 1 / len(LABELS) and report["baseline"]["accuracy"] > 0


def test_cold_start_table_names_the_zero_shot_methods(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    train, test = split_files
    assert main(["eval", "classify", "--train", str(train), "--test", str(test), "--shots", "0"]) == 0
    out = capsys.readouterr().out
    assert "cold start with 0 example(s) per label" in out
    assert "cold-start prototypes" in out and "label-name match" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [(["--cv", "2", "--shots", "5"], "--shots K needs --test"), (["--shots", "-1"], "--shots must be between 0")],
)
def test_bad_shots_exit_2_with_a_message(
    split_files: tuple[Path, Path], capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    train, test = split_files
    args = ["eval", "classify", "--train", str(train), *extra]
    if "--cv" not in extra:
        args += ["--test", str(test)]
    assert main(args) == 2
    assert message in capsys.readouterr().err
