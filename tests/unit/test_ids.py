"""Identifiers: ``new_ids`` makes what ``new_id`` makes, in bulk."""

from __future__ import annotations

import uuid

from partner_center.kernel.ids import new_id, new_ids


def test_bulk_ids_are_uuid7_in_creation_order() -> None:
    before = new_id()
    many = new_ids(1000)
    after = new_id()
    assert len(set(many)) == 1000
    for value in many:
        parsed = uuid.UUID(value)
        assert len(value) == 32 and value == value.lower()
        assert parsed.version == 7 and parsed.variant == uuid.RFC_4122
    # Monotonic within the process, with the ids made one at a time.
    assert before < many[0] and many[-1] < after
    assert many == sorted(many)


def test_no_ids() -> None:
    assert new_ids(0) == []
