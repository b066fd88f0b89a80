"""Currency and country code checks that do not depend on the collation

Revision ID: 0003_strict_code_checks
Revises: 0002_accounts_safety
Create Date: 2026-11-23 16:20:00

The first checks compared characters with BETWEEN 'A' AND 'Z', which under a linguistic
PostgreSQL collation admits 'É', and the country check admitted digits. The new ones strip
A..Z with replace() and require nothing to remain.
"""
from alembic import op

from app.models.base import upper_letters_check

revision = "0003_strict_code_checks"
down_revision = "0002_accounts_safety"
branch_labels = None
depends_on = None


def _between_check(column):
    letters = " AND ".join(f"substr({column}, {i}, 1) BETWEEN 'A' AND 'Z'" for i in (1, 2, 3))
    return f"length({column}) = 3 AND upper({column}) = {column} AND {letters}"


def _nullable(column, check):
    return f"{column} IS NULL OR ({check})"


# (table, constraint name without the ck_<table>_ prefix, new check, old check)
CHECKS = [
    ("countries", "code_format", upper_letters_check("code", 2),
     "length(code) = 2 AND upper(code) = code"),
    ("contributions", "currency_format", upper_letters_check("currency", 3),
     _between_check("currency")),
    ("contributions", "base_currency_format",
     _nullable("base_currency", upper_letters_check("base_currency", 3)),
     _nullable("base_currency", _between_check("base_currency"))),
    ("exchange_rates", "currency_format", upper_letters_check("currency", 3),
     _between_check("currency")),
    ("fundraisers", "goal_currency_format",
     _nullable("goal_currency", upper_letters_check("goal_currency", 3)),
     _nullable("goal_currency", _between_check("goal_currency"))),
]


def _replace(new: bool) -> None:
    for table, name, new_check, old_check in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, new_check if new else old_check)


def upgrade():
    _replace(new=True)


def downgrade():
    _replace(new=False)
