"""The declarative base every table of the backend shares."""

from sqlalchemy import BigInteger, Integer, MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so that later migrations can drop or alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Block numbers and chain ids exceed 32 bits on some chains; SQLite only autoincrements INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")
HASH_LENGTH = 66  # "0x" + 64 hex digits
ADDRESS_LENGTH = 42  # "0x" + 40 hex digits


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
