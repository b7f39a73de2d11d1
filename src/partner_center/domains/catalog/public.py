"""The catalog domain's public surface (the only module other domains import)."""

from partner_center.domains.catalog.discounts import (
    DiscountService,
    DiscountType,
    DiscountView,
    takes_discounts,
)
from partner_center.domains.catalog.divisions import Division, Divisions, divisions
from partner_center.domains.catalog.document import demo_catalog, read_catalog
from partner_center.domains.catalog.errors import CatalogErrorCode
from partner_center.domains.catalog.grants import (
    DISCOUNT_EXPIRED_JOB,
    DiscountState,
    GrantedDiscount,
    PartnerDiscounts,
    PermissionView,
)
from partner_center.domains.catalog.importer import (
    CatalogImporter,
    ImportReport,
    imported_versions,
)
from partner_center.domains.catalog.importer import (
    Progress as CatalogImportProgress,
)
from partner_center.domains.catalog.inquiry import (
    MAX_PRODUCTS,
    AppliedDiscount,
    DiscountOption,
    InquiryService,
    OnDemandItem,
    OnDemandRating,
    PeriodItem,
    PeriodRating,
    ProjectView,
    RatedLine,
)
from partner_center.domains.catalog.projects import project_id_for
from partner_center.domains.catalog.rating import PeriodType, TierSchedule
from partner_center.domains.catalog.service import (
    CHARGE_MODE_CODES,
    CatalogService,
    ChargingMode,
    ConversionView,
    Language,
    MeasureUnitView,
    PeriodQuote,
    PriceView,
    ProductKey,
    ProductNames,
    ResourceTypeView,
    ServicePolicyView,
    ServiceTypeView,
    SpecPage,
    SpecPriceQuery,
    SpecView,
    UsageTypeView,
)

__all__ = [
    "CHARGE_MODE_CODES",
    "DISCOUNT_EXPIRED_JOB",
    "MAX_PRODUCTS",
    "AppliedDiscount",
    "CatalogErrorCode",
    "CatalogImportProgress",
    "CatalogImporter",
    "CatalogService",
    "ChargingMode",
    "ConversionView",
    "DiscountOption",
    "DiscountService",
    "DiscountState",
    "DiscountType",
    "DiscountView",
    "Division",
    "Divisions",
    "GrantedDiscount",
    "ImportReport",
    "InquiryService",
    "Language",
    "MeasureUnitView",
    "OnDemandItem",
    "OnDemandRating",
    "PartnerDiscounts",
    "PeriodItem",
    "PeriodQuote",
    "PeriodRating",
    "PeriodType",
    "PermissionView",
    "PriceView",
    "ProductKey",
    "ProductNames",
    "ProjectView",
    "RatedLine",
    "ResourceTypeView",
    "ServicePolicyView",
    "ServiceTypeView",
    "SpecPage",
    "SpecPriceQuery",
    "SpecView",
    "TierSchedule",
    "UsageTypeView",
    "demo_catalog",
    "divisions",
    "imported_versions",
    "project_id_for",
    "read_catalog",
    "takes_discounts",
]
