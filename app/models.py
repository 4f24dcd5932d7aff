"""Every ORM model of the gateway, imported once so Alembic sees the whole schema.

Domain packages own their models (`app/<domain>/models.py`); add each here.
"""

from app.audit import models as audit_models
from app.auth import models as auth_models
from app.cpis import models as cpis_models
from app.db import Base
from app.trace import models as trace_models

__all__ = ["Base", "audit_models", "auth_models", "cpis_models", "trace_models"]
