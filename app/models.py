"""Every ORM model of the gateway, imported once so Alembic sees the whole schema.

Domain packages own their models (`app/<domain>/models.py`); add each here.
"""

from app.db import Base

__all__ = ["Base"]
