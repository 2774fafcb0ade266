import csv
import json
from pathlib import Path

import pytest

from deskpilot.cli import main
from deskpilot.evaluation.answers import token_f1
from deskpilot.evaluation.retrieval import ranking_scores
from deskpilot.evaluation.span_data import collect_span_data
from tests.ml.conftest import TokenHashEmbedder

CORPUS = [
    ("vpn-reset", "Reset your VPN token", "Open the self-service portal. Choose Reset VPN token and scan the code."),
    ("printer-jam", "Clear a paper jam", "Open the printer cover and pull the jammed paper out slowly."),
    ("password-expired", "Expired password", "Press Ctrl+Alt+Del and choose Change a password."),
    ("mailbox-full", "Mailbox is full", "Archive old mail or empty the Deleted Items folder."),
]
QUERIES = [
    ("q1", "how do I reset the vpn token", "vpn-reset", ""),
    ("q2", "paper stuck in printer", "printer-jam", ""),
    ("q3", "what now?", "password-expired", "agent:Your password has expired || user:I cannot log in"),
    ("q4", "outlook says mailbox full", "mailbox-full", ""),
]


def _write(path: Path, header: list[str], rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "corpus": _write(tmp_path / "corpus.csv", ["doc_id", "title", "text"], CORPUS),
        "queries": _write(tmp_path / "queries.csv", ["query_id", "text", "doc_id", "context"], QUERIES),
        "history": _write(
            tmp_path / "history.csv", ["query_id", "text", "doc_id"], [("h1", "printer eats my paper", "printer-jam")]
        ),
        "answers": _write(
            tmp_path / "answers.csv",
            ["query_id", "answer_text"],
            [(q, next(c[2] for c in CORPUS if c[0] == d)) for q, _, d, _ in QUERIES],
        ),
    }


def test_eval_retrieve_prints_ours_and_the_baseline_as_json(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["eval", "retrieve", "--corpus", str(files["corpus"]), "--queries", str(files["queries"])]
    assert main([*argv, "--history", str(files["history"]), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    keys = {"mrr", "p_at_1", "recall_at_5", "ndcg_at_10", "p50_ms", "p95_ms"}
    assert keys <= set(result) and keys <= set(result["baseline"]) and keys <= set(result["reranked"])
    assert result["p_at_1"] >= result["baseline"]["p_at_1"]
    assert result["mrr"] > 0.7
    assert main(argv) == 0
    assert "MRR@10" in capsys.readouterr().out


def test_eval_answers_scores_cited_answers(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "eval",
        "answers",
        "--corpus",
        str(files["corpus"]),
        "--queries",
        str(files["queries"]),
        "--answers",
        str(files["answers"]),
        "--abstain-below",
        "0",
        "--json",
    ]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"f1", "answer_rate", "f1_answered", "citation_coverage"} <= set(result)
    assert result["answer_rate"] == 1.0
    assert result["citation_coverage"] == 1.0
    assert result["f1"] > 0.5
    today = result["baseline"]
    assert {"f1", "answer_rate", "f1_answered", "citation_coverage", "precision"} <= set(today)
    assert sum(result["decisions"].values()) == result["queries"] == today["queries"]
    assert [c["coverage"] for c in result["precision_coverage"]][0] == 1.0
    assert 0.0 <= result["precision"] <= 1.0 and result["p95_ms"] > 0
    assert main(argv[:-1]) == 0
    assert "answer precision" in capsys.readouterr().out


def test_bad_input_exits_2_with_a_clear_message(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = _write(tmp_path / "broken.csv", ["query_id", "text"], [("q1", "hello")])
    assert main(["eval", "retrieve", "--corpus", str(files["corpus"]), "--queries", str(broken)]) == 2
    assert "missing column(s) doc_id" in capsys.readouterr().err
    unknown = _write(tmp_path / "unknown.csv", ["query_id", "text", "doc_id"], [("q1", "hi", "nope")])
    assert main(["eval", "retrieve", "--corpus", str(files["corpus"]), "--queries", str(unknown)]) == 2
    assert "not in the corpus" in capsys.readouterr().err
    missing = str(tmp_path / "absent.csv")
    assert main(["eval", "answers", "--corpus", missing, "--queries", missing, "--answers", missing]) == 2


def test_metrics_follow_their_definitions() -> None:
    scores = ranking_scores([["a", "b"], ["b", "a"], ["c"]], ["a", "a", "a"], [1.0, 2.0, 3.0])
    assert scores.mrr == pytest.approx((1 + 0.5) / 3)
    assert scores.p_at_1 == pytest.approx(1 / 3)
    assert scores.recall_at_5 == pytest.approx(2 / 3)
    assert scores.p95_ms == 3.0
    assert token_f1("Open the cover [printer-jam v1]", "open the printer cover") == pytest.approx(0.8)


def test_span_rows_are_collected_at_the_chunk_size_asked_for(files: dict[str, Path], tmp_path: Path) -> None:
    """`answer_bench.py collect --max-words` refits the span scorer at another chunk size: its index must use it."""
    data = collect_span_data(files["corpus"], files["queries"], files["answers"], embedder=TokenHashEmbedder(),
                             index_dir=tmp_path / "index", max_words=60)
    assert len(data.groups) == len(QUERIES)
    assert len(data.f1) == len(data.features) > 0
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["max_words"] == 60
