"""What an attachment is, read from its content (rules.md §9.3): at most 2 MB, and only JPG,
JPEG, BMP, PNG, GIF, TXT, DOC, DOCX, RAR, ZIP, PDF, XLS or XLSX. The first bytes decide; the
name's extension must agree with them, so a program renamed ``report.pdf`` is refused and so is
a PDF called ``photo.png``."""

from __future__ import annotations

from dataclasses import dataclass

#: Largest attachment, bytes (2 MB).
MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024
#: Longest attachment name.
MAX_NAME = 512


@dataclass(frozen=True, slots=True)
class FileKind:
    media_type: str
    extensions: frozenset[str]


_JPEG = FileKind("image/jpeg", frozenset({"jpg", "jpeg"}))
_PNG = FileKind("image/png", frozenset({"png"}))
_GIF = FileKind("image/gif", frozenset({"gif"}))
_BMP = FileKind("image/bmp", frozenset({"bmp"}))
_PDF = FileKind("application/pdf", frozenset({"pdf"}))
_RAR = FileKind("application/vnd.rar", frozenset({"rar"}))
_ZIP = FileKind("application/zip", frozenset({"zip", "docx", "xlsx"}))
"""ZIP containers: DOCX and XLSX are ZIP files too."""
_OLE = FileKind("application/x-ole-storage", frozenset({"doc", "xls"}))
"""Compound documents: the DOC and XLS of Office 97–2003."""
_TEXT = FileKind("text/plain", frozenset({"txt"}))

_SIGNATURES: tuple[tuple[bytes, FileKind], ...] = (
    (b"\xff\xd8\xff", _JPEG),
    (b"\x89PNG\r\n\x1a\n", _PNG),
    (b"GIF87a", _GIF),
    (b"GIF89a", _GIF),
    (b"BM", _BMP),
    (b"%PDF-", _PDF),
    (b"Rar!\x1a\x07", _RAR),
    (b"PK\x03\x04", _ZIP),
    (b"PK\x05\x06", _ZIP),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", _OLE),
)

#: Every extension accepted, for messages.
ACCEPTED = "JPG, JPEG, BMP, PNG, GIF, TXT, DOC, DOCX, RAR, ZIP, PDF, XLS, XLSX"


def _is_text(content: bytes) -> bool:
    """UTF-8 without control characters other than tab, line feed, carriage return, form feed."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch >= " " or ch in "\t\n\r\f" for ch in text) and "\x7f" not in text


def sniff(content: bytes) -> FileKind | None:
    """The kind of file ``content`` is, or None when it is none of the accepted kinds."""
    for magic, kind in _SIGNATURES:
        if content.startswith(magic):
            return kind
    if content and _is_text(content):
        return _TEXT
    return None


def extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


def accepted_kind(name: str, content: bytes) -> FileKind | str:
    """The file's kind, or why it is refused."""
    if not content:
        return "The file is empty."
    if len(content) > MAX_ATTACHMENT_BYTES:
        return "A file is at most 2 MB."
    kind = sniff(content)
    if kind is None:
        return f"The content is not one of {ACCEPTED}."
    if extension(name) not in kind.extensions:
        return f"The name's extension does not match the content ({kind.media_type})."
    return kind
