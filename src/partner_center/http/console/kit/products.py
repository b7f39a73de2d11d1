"""Service and resource types named for people wherever the console shows one: the
catalogue's name in the page's language (English where the catalogue has none in it), else
the name stored with the row, else the code (``CatalogService.product_names``)."""

from __future__ import annotations

from collections.abc import Iterable

from partner_center.domains.catalog.public import Language, ProductNames
from partner_center.http.console.kit.page import Page


def catalog_language(page: Page) -> Language:
    return Language.ZH if page.language == "zh" else Language.EN


async def product_names(
    page: Page, *, services: Iterable[str] = (), resources: Iterable[str] = ()
) -> ProductNames:
    """The names of these service and resource type codes, in the page's language."""
    return await page.services.catalog.product_names(services, resources, catalog_language(page))
