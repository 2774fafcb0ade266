from deskpilot.assist.chunking import chunk_article, split_sentences

MARKDOWN = """# VPN
## Reset your token
To reset the token:
1. Open the portal.
2. Click Reset.
   Wait a minute for the code.
3. Sign in again.

Call the service desk if it fails.
## Other topics
Plain text here.
"""


def test_numbered_steps_stay_in_one_chunk_with_their_introduction() -> None:
    chunks = chunk_article("vpn", 3, MARKDOWN, max_words=12)
    steps = [c for c in chunks if "1. Open the portal." in c.text]
    assert len(steps) == 1
    assert "To reset the token:" in steps[0].text
    assert "3. Sign in again." in steps[0].text
    assert "Wait a minute for the code." in steps[0].text


def test_each_chunk_knows_its_article_heading_path_and_position() -> None:
    chunks = chunk_article("vpn", 3, MARKDOWN, max_words=12)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[0].heading_path == ("VPN", "Reset your token")
    assert chunks[-1].heading_path == ("VPN", "Other topics")
    assert chunks[0].chunk_id == "vpn@v3#0"
    assert chunks[0].citation == "[vpn v3]"


def test_chunks_never_mix_sections() -> None:
    chunks = chunk_article("vpn", 3, MARKDOWN, max_words=500)
    assert len({c.heading_path for c in chunks}) == len(chunks) == 2


def test_plain_text_falls_back_to_sentence_packing() -> None:
    text = " ".join(f"Sentence number {i} says something useful." for i in range(60))
    chunks = chunk_article("plain", 1, text, max_words=40)
    assert len(chunks) > 3
    assert all(len(c.text.split()) <= 40 for c in chunks)
    assert all(c.text.endswith(".") for c in chunks)


def test_sentences_keep_inline_numbered_steps_as_units() -> None:
    units = split_sentences("Do this first. 1. Open it. 2. Close it. Version 2.0 is out.")
    assert units == ["Do this first.", "1. Open it.", "2. Close it.", "Version 2.0 is out."]
