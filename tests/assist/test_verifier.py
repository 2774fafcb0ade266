"""The optional LLM may only rephrase: a real local HTTP endpoint plays the OpenAI-compatible server."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.index_store import KbIndex
from deskpilot.assist.retrieval import HybridRetriever, RetrievalQuery
from deskpilot.assist.verifier import LlmRephraser, verify
from deskpilot.config import Settings
from deskpilot.errors import ProviderError
from deskpilot.ml.llm_client import ChatMessage, LlmClient


class _FakeOpenAi(BaseHTTPRequestHandler):
    reply = ""
    requests: list[dict[str, object]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        payload = json.dumps({"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture()
def fake_llm() -> Iterator[tuple[str, type[_FakeOpenAi]]]:
    handler = type("Handler", (_FakeOpenAi,), {"reply": "", "requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", handler
    server.shutdown()
    server.server_close()


def _composer(index: KbIndex, base_url: str) -> AnswerComposer:
    client = LlmClient(base_url=base_url, model="fake", timeout_seconds=2)
    return AnswerComposer(HybridRetriever(index), abstain_below=0.0, rephraser=LlmRephraser(client))


def test_unsupported_llm_sentence_is_rejected_and_the_extractive_answer_shown(
    kb_index: KbIndex, fake_llm: tuple[str, type[_FakeOpenAi]]
) -> None:
    url, handler = fake_llm
    handler.reply = "Just buy a new printer from the shop next door, it costs 50 dollars [printer-jam v1]."
    answer = _composer(kb_index, url).answer(RetrievalQuery.from_dialogue("paper stuck in the printer"))
    assert handler.requests and handler.requests[0]["model"] == "fake"
    assert not answer.rephrased
    assert "buy a new printer" not in answer.text
    assert all(s.text in kb_index.chunks[s.chunk_id].text for s in answer.sentences)


def test_the_model_may_write_about_twice_the_evidence_not_more(
    kb_index: KbIndex, fake_llm: tuple[str, type[_FakeOpenAi]]
) -> None:
    url, handler = fake_llm  # the reply is empty, so the answer shows the evidence the model was given
    answer = _composer(kb_index, url).answer(RetrievalQuery.from_dialogue("paper stuck in the printer"))
    assert not answer.rephrased
    words = sum(len(s.text.split()) + 2 for s in answer.sentences)
    assert handler.requests[0]["max_tokens"] == min(400, 32 + 2 * words) < 400


def test_supported_llm_sentence_is_kept_with_its_citation(
    kb_index: KbIndex, fake_llm: tuple[str, type[_FakeOpenAi]]
) -> None:
    url, handler = fake_llm
    handler.reply = "Open the printer's front cover and slowly pull the jammed paper out [printer-jam v1]."
    answer = _composer(kb_index, url).answer(RetrievalQuery.from_dialogue("paper stuck in the printer"))
    assert answer.rephrased
    assert answer.text.endswith("[printer-jam v1]")


def test_llm_endpoint_down_gives_the_extractive_answer(kb_index: KbIndex) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = _composer(kb_index, f"http://127.0.0.1:{port}/v1").answer(
        RetrievalQuery.from_dialogue("paper stuck in the printer")
    )
    assert not answer.abstained and not answer.rephrased
    assert "[printer-jam v1]" in answer.text


def test_unreachable_endpoint_is_a_retryable_provider_error() -> None:
    client = LlmClient(base_url="http://127.0.0.1:9/v1", model="fake", timeout_seconds=1)
    with pytest.raises(ProviderError) as caught:
        client.complete([ChatMessage("user", "hi")])
    assert caught.value.retryable


def test_client_is_off_unless_configured() -> None:
    assert LlmClient.from_settings(Settings(llm_base_url="", llm_model="")) is None
    assert LlmClient.from_settings(Settings(llm_base_url="http://127.0.0.1:1/v1", llm_model="m")) is not None


def test_sentences_citing_unknown_sources_are_dropped(kb_index: KbIndex) -> None:
    composer = AnswerComposer(HybridRetriever(kb_index), abstain_below=0.0)
    extractive = composer.answer(RetrievalQuery.from_dialogue("paper stuck in the printer"))
    kept = verify("Open the front cover of the printer [vpn-reset v3].", extractive.sentences, kb_index.embedder)
    assert kept == ()
