"""A small but real PDF written byte by byte: Helvetica text lines at given sizes, one list per page."""

from __future__ import annotations

from collections.abc import Sequence

# (text, font size, bold) per line, one list per page; lines run down the page 1.5 sizes apart, an empty
# text is a paragraph gap, and leading spaces indent the line (half a size each).
Line = tuple[str, float, bool]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _content(lines: Sequence[Line]) -> bytes:
    y = 800.0
    ops = []
    for text, size, bold in lines:
        if not text:
            y -= 12
            continue
        y -= size * 1.5
        x = 56 + (len(text) - len(text.lstrip())) * size / 2
        ops.append(f"BT /{'F2' if bold else 'F1'} {size:g} Tf 1 0 0 1 {x:g} {y:.1f} Tm ({_escape(text.strip())}) Tj ET")
    return "\n".join(ops).encode("latin-1")


def make_pdf(pages: Sequence[Sequence[Line]], *, title: str | None = None) -> bytes:
    """The bytes of a PDF with one page per entry of `pages` (and the document title `title`)."""
    objects: list[bytes] = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
                            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold >>"]
    kids = []
    for lines in pages:
        stream = _content(lines)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                       b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>" % len(objects))
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    if title is not None:
        objects.append(b"<< /Title (%s) >>" % _escape(title).encode("latin-1"))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    info = b" /Info %d 0 R" % len(objects) if title is not None else b""
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, info, xref)
    return bytes(out)
