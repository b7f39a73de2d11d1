"""Imports every domain's models so ``Base.metadata`` is complete (Alembic, tests, tooling)."""

from partner_center.domains.associations import models as _associations  # noqa: F401
from partner_center.domains.background import models as _background  # noqa: F401
from partner_center.domains.balances import models as _balances  # noqa: F401
from partner_center.domains.billing import models as _billing  # noqa: F401
from partner_center.domains.budgets import models as _budgets  # noqa: F401
from partner_center.domains.catalog import models as _catalog  # noqa: F401
from partner_center.domains.coupons import models as _coupons  # noqa: F401
from partner_center.domains.customers import models as _customers  # noqa: F401
from partner_center.domains.enterprises import models as _enterprises  # noqa: F401
from partner_center.domains.identity import models as _identity  # noqa: F401
from partner_center.domains.invoices import models as _invoices  # noqa: F401
from partner_center.domains.ledger import models as _ledger_models  # noqa: F401
from partner_center.domains.notifications import models as _notifications  # noqa: F401
from partner_center.domains.orders import models as _orders  # noqa: F401
from partner_center.domains.partners import models as _partners  # noqa: F401
from partner_center.domains.payments import models as _payments  # noqa: F401
from partner_center.domains.realname import models as _realname  # noqa: F401
from partner_center.domains.resources import models as _resources  # noqa: F401
from partner_center.domains.tickets import models as _tickets  # noqa: F401
from partner_center.domains.usage import models as _usage  # noqa: F401
from partner_center.kernel import db as _kernel_db  # noqa: F401  (sandbox_clock)
from partner_center.kernel import jobs as _jobs  # noqa: F401
from partner_center.kernel import ratelimit as _ratelimit  # noqa: F401
