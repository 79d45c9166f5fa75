"""case: complainants' personal data encrypted at rest, phone and ID number by blind index

The complainant's name, phone, ID number and address are stored encrypted under the data key
(portal/datakeys.py); phone and ID number get a keyed hash each for exact search.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-10 10:00:00

The four columns become TEXT (a ciphertext is longer than the value). On SQLite the case table
is not rebuilt (other tables' foreign keys point at it and the connection enforces them):
each column is replaced by a new one, filled, the old dropped and the new renamed, which both
databases do natively. Existing rows are encrypted in place with the app's data key; the
downgrade decrypts them and refuses if a value cannot be decrypted, rather than lose it.
"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

COLUMNS = {'complainant_name': 80, 'complainant_phone': 40, 'complainant_id_number': 40,
           'complainant_address': 200}
HASHED = ('complainant_phone', 'complainant_id_number')


def _ring():
    from portal.datakeys import keyring

    return keyring(current_app)


def _replace_columns(new_type, convert, with_hashes):
    """Give each personal column ``new_type`` and the values ``convert(column, value)``."""
    for name in COLUMNS:
        op.add_column('case', sa.Column(f'{name}_new', new_type(name), nullable=False, server_default=''))
    if with_hashes:
        for name in HASHED:
            op.add_column('case', sa.Column(f'{name}_hash', sa.String(length=96), nullable=True))
    bind = op.get_bind()
    names = list(COLUMNS)
    rows = bind.execute(sa.text(f'SELECT id, {", ".join(names)} FROM "case"')).all()
    for row in rows:
        values = {f'{n}_new': convert(n, getattr(row, n) or '') for n in names}
        if with_hashes:
            ring = _ring()
            values.update({f'{n}_hash': ring.blind_index(f'case.{n}', _plain(n, getattr(row, n) or ''))
                           for n in HASHED})
        sets = ', '.join(f'{k} = :{k}' for k in values)
        bind.execute(sa.text(f'UPDATE "case" SET {sets} WHERE id = :id'), {**values, 'id': row.id})
    for name in COLUMNS:
        op.drop_column('case', name)  # SQLite 3.35+ drops a column natively
        op.execute(f'ALTER TABLE "case" RENAME COLUMN {name}_new TO {name}')
    if with_hashes:
        for name in HASHED:
            op.create_index(op.f(f'ix_case_{name}_hash'), 'case', [f'{name}_hash'], unique=False)


def _plain(name, value):
    from portal.datakeys import PREFIX

    return _ring().decrypt(value, f'case.{name}') if value.startswith(PREFIX) else value


def upgrade():
    from portal.datakeys import PREFIX

    def encrypt(name, value):
        if not value or value.startswith(PREFIX):
            return value
        return _ring().encrypt(value, f'case.{name}')

    _replace_columns(lambda name: sa.Text(), encrypt, with_hashes=True)


def downgrade():
    from portal.datakeys import PREFIX, UndecryptableValue

    def decrypt(name, value):
        if not value.startswith(PREFIX):
            return value
        try:
            return _ring().decrypt(value, f'case.{name}')
        except UndecryptableValue as e:
            raise RuntimeError(f'case.{name}: cannot downgrade, a value is not readable ({e}); '
                               'configure the data key that wrote it') from None

    for name in HASHED:
        op.drop_index(op.f(f'ix_case_{name}_hash'), table_name='case')
        op.drop_column('case', f'{name}_hash')
    _replace_columns(lambda name: sa.String(length=COLUMNS[name]), decrypt, with_hashes=False)
