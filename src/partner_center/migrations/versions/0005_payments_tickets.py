"""payments and service tickets: tickets, their messages and attachments; repayments; the
standard top-up account; invoices, their per-issuer counters, the partners' invoice settings and
consumption detail files

Revision ID: 0005
Revises: 0009
Create Date: 2026-12-03 13:50:14.958596
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import partner_center.kernel.db

revision: str = "0005"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consumption_files",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consumption_files")),
        sa.UniqueConstraint("tenant_id", "cycle", name="uq_consumption_files_cycle"),
    )
    with op.batch_alter_table("consumption_files", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consumption_files_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "invoice_counters",
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issuer", name=op.f("pk_invoice_counters")),
    )
    op.create_table(
        "invoice_settings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("email_zero_months", sa.Boolean(), nullable=False),
        sa.Column("consumption_file", sa.Boolean(), nullable=False),
        sa.Column(
            "updated_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_settings")),
    )
    with op.batch_alter_table("invoice_settings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_invoice_settings_tenant_id"), ["tenant_id"], unique=False
        )

    op.create_table(
        "invoices",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bill_id", sa.String(length=64), nullable=False),
        sa.Column("cycle", sa.String(length=7), nullable=False),
        sa.Column("issuer", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("invoice_no", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("email", sa.String(length=255), nullable=True),
        sa.Column("amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("tax_amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("tax_rate", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("issued_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("emailed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("bill_id", name=op.f("uq_invoices_bill_id")),
        sa.UniqueConstraint("invoice_no", name=op.f("uq_invoices_invoice_no")),
        sa.UniqueConstraint("issuer", "number", name="uq_invoices_issuer_number"),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_tenant_id"), ["tenant_id"], unique=False)
        batch_op.create_index("ix_invoices_tenant_issued", ["tenant_id", "issued_at"], unique=False)

    op.create_table(
        "repayments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "ONLINE", "BANK_TRANSFER", name="repaymentchannel", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("SUCCEEDED", "DECLINED", name="repaymentstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("repaid_amount", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("remaining_due", partner_center.kernel.db.MoneyAmount(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("card_brand", sa.String(length=16), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("processor_reference", sa.String(length=64), nullable=True),
        sa.Column("decline_reason", sa.String(length=64), nullable=True),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("actor_id", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repayments")),
        sa.UniqueConstraint("tenant_id", "idempotency_key", name="uq_repayments_tenant_key"),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_repayments_ticket_id")),
    )
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_repayments_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_repayments_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "tickets",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "GENERAL",
                "BANK_TRANSFER",
                "INVOICE",
                "STATEMENT",
                "ASSOCIATION",
                name="ticketcategory",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING",
                "PROCESSING",
                "WAITING_FOR_REPLY",
                "RESOLVED",
                "CLOSED",
                "CANCELED",
                name="ticketstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("remind_mail", sa.String(length=255), nullable=True),
        sa.Column("opened_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("transfer_amount", partner_center.kernel.db.MoneyAmount(), nullable=True),
        sa.Column("transfer_date", sa.Date(), nullable=True),
        sa.Column("payer", sa.String(length=200), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("received_amount", partner_center.kernel.db.MoneyAmount(), nullable=True),
        sa.Column(
            "confirmed_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("repayment_id", sa.String(length=32), nullable=True),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index("ix_tickets_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(
            "ix_tickets_tenant_created", ["tenant_id", "created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_tickets_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "top_up_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("bank_name", sa.String(length=200), nullable=False),
        sa.Column("account_name", sa.String(length=200), nullable=False),
        sa.Column("account_number", sa.String(length=64), nullable=False),
        sa.Column("swift_code", sa.String(length=16), nullable=True),
        sa.Column("bank_address", sa.String(length=300), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("set_by", sa.String(length=64), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_top_up_accounts")),
    )
    with op.batch_alter_table("top_up_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_top_up_accounts_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "ticket_messages",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=False),
        sa.Column(
            "author",
            sa.Enum("PARTNER", "OPERATOR", name="author", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_messages_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_messages")),
    )
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_messages_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index(
            "ix_ticket_messages_ticket_created", ["ticket_id", "created_at"], unique=False
        )

    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.String(length=32), nullable=True),
        sa.Column("message_id", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column(
            "created_at", partner_center.kernel.db.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("tenant_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["ticket_messages.id"],
            name=op.f("fk_ticket_attachments_message_id_ticket_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_attachments_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachments")),
    )
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_attachments_tenant_id"), ["tenant_id"], unique=False
        )
        batch_op.create_index("ix_ticket_attachments_ticket", ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_attachments", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_attachments_ticket")
        batch_op.drop_index(batch_op.f("ix_ticket_attachments_tenant_id"))

    op.drop_table("ticket_attachments")
    with op.batch_alter_table("ticket_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_messages_ticket_created")
        batch_op.drop_index(batch_op.f("ix_ticket_messages_tenant_id"))

    op.drop_table("ticket_messages")
    with op.batch_alter_table("top_up_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_top_up_accounts_created_at"))

    op.drop_table("top_up_accounts")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_tenant_id"))
        batch_op.drop_index("ix_tickets_tenant_created")
        batch_op.drop_index("ix_tickets_status_created")

    op.drop_table("tickets")
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repayments_tenant_id"))
        batch_op.drop_index("ix_repayments_tenant_created")

    op.drop_table("repayments")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index("ix_invoices_tenant_issued")
        batch_op.drop_index(batch_op.f("ix_invoices_tenant_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("invoice_settings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_settings_tenant_id"))

    op.drop_table("invoice_settings")
    op.drop_table("invoice_counters")
    with op.batch_alter_table("consumption_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consumption_files_tenant_id"))

    op.drop_table("consumption_files")
