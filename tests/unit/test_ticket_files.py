"""Attachments are recognised by their content, not their name; working days skip weekends and
the configured holidays."""

from __future__ import annotations

from datetime import date

import pytest

from partner_center.domains.tickets.files import MAX_ATTACHMENT_BYTES, accepted_kind, sniff
from partner_center.domains.tickets.public import add_working_days

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
ZIP = b"PK\x03\x04" + b"\x00" * 40
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"


@pytest.mark.parametrize(
    ("name", "content", "media_type"),
    [
        ("photo.png", PNG, "image/png"),
        ("scan.JPG", b"\xff\xd8\xff\xe0" + b"\x00" * 8, "image/jpeg"),
        ("scan.jpeg", b"\xff\xd8\xff\xdb" + b"\x00" * 8, "image/jpeg"),
        ("a.gif", b"GIF89a" + b"\x00" * 8, "image/gif"),
        ("a.bmp", b"BM" + b"\x00" * 8, "image/bmp"),
        ("receipt.pdf", PDF, "application/pdf"),
        ("all.zip", ZIP, "application/zip"),
        ("letter.docx", ZIP, "application/zip"),
        ("sheet.xlsx", ZIP, "application/zip"),
        ("old.doc", OLE, "application/x-ole-storage"),
        ("old.xls", OLE, "application/x-ole-storage"),
        ("a.rar", b"Rar!\x1a\x07\x01\x00", "application/vnd.rar"),
        ("notes.txt", "Überweisung 1 234,56 €\r\n\tok".encode(), "text/plain"),
    ],
)
def test_accepted_kinds(name: str, content: bytes, media_type: str) -> None:
    kind = accepted_kind(name, content)
    assert not isinstance(kind, str), kind
    assert kind.media_type == media_type


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("receipt.pdf", EXE, "not one of"),
        ("notes.txt", EXE, "not one of"),
        ("photo.png", PDF, "does not match"),
        ("program.exe", PNG, "does not match"),
        ("noextension", PDF, "does not match"),
        ("empty.txt", b"", "empty"),
        ("nul.txt", b"abc\x00def", "not one of"),
        ("big.pdf", b"%PDF-" + b"0" * MAX_ATTACHMENT_BYTES, "2 MB"),
    ],
)
def test_refused(name: str, content: bytes, reason: str) -> None:
    result = accepted_kind(name, content)
    assert isinstance(result, str)
    assert reason in result


def test_exactly_two_megabytes_is_accepted() -> None:
    content = b"%PDF-" + b"0" * (MAX_ATTACHMENT_BYTES - 5)
    assert not isinstance(accepted_kind("max.pdf", content), str)
    assert sniff(b"\xff\xfe\x00") is None


def test_working_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 12, 4)
    assert add_working_days(friday, 3, ()) == date(2026, 12, 9)  # Mon, Tue, Wed
    assert add_working_days(friday, 3, {date(2026, 12, 8)}) == date(2026, 12, 10)
    saturday = date(2026, 12, 5)
    assert add_working_days(saturday, 1, ()) == date(2026, 12, 7)
    new_year = date(2026, 12, 31)  # Thursday; 1 January a holiday
    assert add_working_days(new_year, 3, {date(2027, 1, 1)}) == date(2027, 1, 6)
