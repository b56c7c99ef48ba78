"""Core models. Plugins import ``Base`` and column helpers from ``core.models.meta``."""
from core.models.meta import Base, Money, Rate, UTCDateTime, utcnow  # noqa: F401
