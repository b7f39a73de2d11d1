"""The acting console's order being built travels in its forms as line tokens: a token reads
back as the same line, an altered one is refused (CBC.0100), and removing a line re-points the
lines attached after it (the one attached to it stands alone)."""

from __future__ import annotations

import pytest

from partner_center.domains.catalog.public import ProductKey
from partner_center.http.console.acting.pages import OrderLine
from partner_center.kernel.errors import DomainError

VM = ProductKey("hws.service.type.ec2", "hws.resource.type.vm", "s6.large.2.linux", "hk")
DISK = ProductKey("hws.service.type.ebs", "hws.resource.type.volume", "SSD", "hk")


@pytest.mark.parametrize(
    "line", [OrderLine(VM, 2, None), OrderLine(DISK, 2, 40, 1), OrderLine(DISK, 1, 10)]
)
def test_a_line_reads_back_from_its_token(line: OrderLine) -> None:
    assert OrderLine.parse(line.token) == line


@pytest.mark.parametrize(
    "token",
    ["", "a|b|c|hk|2|", "a|b|c|hk|two||", "a||c|hk|2||", "a|b|c|hk|2|-4|", "a|b|c|hk|2||x|y"],
)
def test_an_altered_token_is_refused(token: str) -> None:
    with pytest.raises(DomainError) as refused:
        OrderLine.parse(token)
    assert refused.value.code == "CBC.0100"


def test_removing_a_line_re_points_the_lines_attached_after_it() -> None:
    lines = [
        OrderLine(VM, 1, None),
        OrderLine(DISK, 1, 40, 1),
        OrderLine(VM, 2, None),
        OrderLine(DISK, 2, 40, 3),
    ]
    kept = [line.after_removing(1) for line in lines[1:]]
    assert [line.parent for line in kept] == [None, None, 2]
    assert [line.after_removing(4).parent for line in lines[:3]] == [None, 1, None]
