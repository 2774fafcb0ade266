"""Out-of-scope questions abstain; in-scope paraphrases are answered and cite the right article.

Runs on the real embedder over 12 of the demo KB's articles (`src/deskpilot/demo/kb`), loaded into a
`KbIndex` directly. The evidence defaults (`RetrievalParams.evidence_floor` 0.53, `evidence_weight`
10) were chosen on a separate, hand-written development set (25 in-scope paraphrases over the whole
demo KB + 16 out-of-scope questions); the questions below were written afterwards, with different
wording, and were not used to choose anything (held-out).

Held-out result at the default threshold 0.5 (docs/benchmarks.md, "Abstention on the demo KB"):
on this 12-article subset 12 of 24 questions answered, all 12 correct (answer precision 1.00),
0 of 10 out-of-scope answered, 12 of 14 in-scope answered; without the evidence term
(evidence_weight 0) precision was 0.82 (9 of 11, two out-of-scope answered).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from deskpilot.assist.compose import AnswerComposer
from deskpilot.assist.dialogue import RetrievalQuery
from deskpilot.assist.index_store import KbDocument, KbIndex
from deskpilot.assist.retrieval import HybridRetriever
from deskpilot.kb.importer import read_folder
from deskpilot.ml.embeddings import MiniLmEmbedder

KB_DIR = Path(__file__).resolve().parents[2] / "src" / "deskpilot" / "demo" / "kb"
THRESHOLD = 0.5  # the product default, DESKPILOT_ANSWER_ABSTAIN_BELOW
SUBSET = {
    "account-lockout",
    "vpn-error-codes",
    "vpn-connect-windows",
    "printer-paper-jam",
    "mailbox-full",
    "password-expired",
    "wifi-guest-access",
    "mfa-new-phone",
    "slow-computer",
    "shared-drive-access",
    "teams-audio-video",
    "bitlocker-recovery-key",
}
IN_SCOPE = [
    ("GlobalProtect says the portal address is not valid", "vpn-error-codes"),
    ("my user account got locked after several failed sign-ins", "account-lockout"),
    ("how do I get on the VPN from my Windows laptop at home", "vpn-connect-windows"),
    ("paper is stuck in the Ricoh printer", "printer-paper-jam"),
    ("the printer says toner is empty", "printer-paper-jam"),
    ("I can't send mail because my mailbox is full", "mailbox-full"),
    ("windows tells me my password expires in 3 days", "password-expired"),
    ("a visitor needs wifi for the day", "wifi-guest-access"),
    ("I switched to a new iPhone and Okta Verify is gone", "mfa-new-phone"),
    ("my computer takes ages to start up and everything is sluggish", "slow-computer"),
    ("I need read access to another team's network folder", "shared-drive-access"),
    ("my camera doesn't work in Teams meetings", "teams-audio-video"),
    ("bitlocker blue screen asking for a key after a BIOS update", "bitlocker-recovery-key"),
    ("globalprotect keeps saying authentication failed", "vpn-error-codes"),
]
OUT_OF_SCOPE = [
    "How do I descale the coffee machine?",
    "how do I book holiday leave for next month",
    "what is Northwind's share price today",
    "give me a recipe for banana bread",
    "what's the weather forecast for Hamburg this weekend",
    "how do I reset my Zoom password",  # KB style, a product the company does not use
    "Slack notifications are not showing on my laptop",
    "my Dropbox won't sync",
    "where can I buy cheap train tickets",
    "what time does the canteen close",
]


# The development set the evidence defaults were chosen on (searched on all 56 demo articles); kept for
# reproducibility, deliberately not used by the tests below.
DEV_IN_SCOPE = [
    ("I typed my password wrong too many times and now I can't log in", "account-lockout"),
    ("how can I get local admin on my machine to install a driver", "admin-rights-request"),
    ("my laptop is asking for a 48 digit recovery key at startup", "bitlocker-recovery-key"),
    ("chrome shows your connection is not private on an internal site", "browser-certificate-errors"),
    ("let my assistant manage my calendar", "calendar-delegation"),
    ("I deleted a file on the network share yesterday, can I get it back", "file-restore"),
    ("spilled coffee on my laptop keyboard", "laptop-damage"),
    ("someone stole my work phone on the train", "laptop-lost-stolen"),
    ("outlook says my mailbox is over its size limit", "mailbox-full"),
    ("I got a new phone, how do I move the authenticator", "mfa-new-phone"),
    ("external monitors stay black when I plug into the dock", "monitor-docking-station"),
    ("the network socket at my desk has no connection", "office-network-port"),
    ("onedrive shows a red cross and files won't sync", "onedrive-sync-issues"),
    ("how do I set automatic replies while on vacation", "out-of-office"),
    ("I forgot my password and need to reset it myself", "password-reset-self-service"),
    ("I got a weird email asking for my bank details, what should I do", "phishing-report"),
    ("my print job is sitting in the queue and never prints", "printer-queue-stuck"),
    ("how do I scan a document and send it to my email", "scan-to-email"),
    ("I need access to the finance folder on the S drive", "shared-drive-access"),
    ("people can't hear me in Teams calls", "teams-audio-video"),
    ("VPN won't connect on my MacBook", "vpn-connect-macos"),
    ("the vpn shows an error that the gateway is unreachable", "vpn-error-codes"),
    ("what is the password for the corporate wifi", "wifi-corporate-nw-corp"),
    ("windows update fails with an error code every time", "windows-update-errors"),
    ("I can't submit my timecard in workday, it was rejected", "workday-timecard-corrections"),
]
DEV_OUT_OF_SCOPE = [
    "the kettle in the second floor kitchen is broken",
    "how many vacation days do I have left this year",
    "what is the exchange rate of the euro to the dollar",
    "can you recommend a good pasta sauce",
    "will it snow in Berlin tomorrow",
    "how do I reserve a parking space in the garage",
    "who won the football match last night",
    "how do I connect to the Cisco AnyConnect VPN",
    "my Lotus Notes database won't replicate",
    "when is the next company summer party",
    "how do I submit my travel expenses",
    "the lift on the third floor is stuck",
    "write me a poem about spring",
    "how do I configure my Blackberry for email",
    "what is the capital of Australia",
    "the air conditioning in meeting room 4 is too cold",
]


@pytest.fixture(scope="module")
def composer(embedder: MiniLmEmbedder) -> AnswerComposer:
    index = KbIndex(embedder)
    index.add_documents(KbDocument(d.slug, 1, d.title, d.body) for d in read_folder(KB_DIR) if d.slug in SUBSET)
    assert sorted(index.documents) == sorted(SUBSET)
    return AnswerComposer(HybridRetriever(index), abstain_below=THRESHOLD)


@pytest.fixture(scope="module")
def answers(composer: AnswerComposer) -> dict[str, tuple[bool, set[str], float]]:
    out = {}
    for question in [q for q, _ in IN_SCOPE] + OUT_OF_SCOPE:
        answer = composer.answer(RetrievalQuery.from_dialogue(question))
        out[question] = (answer.abstained, {s.slug for s in answer.sentences}, answer.confidence)
    return out


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_out_of_scope_questions_abstain(answers: dict[str, tuple[bool, set[str], float]], question: str) -> None:
    abstained, cited, confidence = answers[question]
    assert abstained, (question, cited, confidence)
    assert not cited


def test_in_scope_paraphrases_are_answered_with_the_right_citation(
    answers: dict[str, tuple[bool, set[str], float]],
) -> None:
    answered = {q: answers[q] for q, _ in IN_SCOPE if not answers[q][0]}
    wrong = [(q, answers[q][1]) for q, slug in IN_SCOPE if q in answered and answers[q][1] != {slug}]
    assert not wrong  # answer precision 1.00 on the held-out set
    assert len(answered) >= 12, sorted(set(q for q, _ in IN_SCOPE) - set(answered))


def test_the_coffee_machine_no_longer_gets_a_confident_answer(
    answers: dict[str, tuple[bool, set[str], float]],
) -> None:
    assert answers["How do I descale the coffee machine?"][2] < 0.1
