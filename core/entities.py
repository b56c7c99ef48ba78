"""Record types plugins declare, so documents and history work for any record.

History (the record panel and the audit log) shows a record's fields by their :class:`Field`:
a label and a kind, derived from the SQLAlchemy column (``Money()`` is money, ``Rate()`` a percentage,
``Date`` a day, a foreign key a reference to the record it points at, ``customer_id`` is "Customer"),
overridden by ``EntityType(fields={...})`` where the default is not good enough.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Boolean, Column, Date, DateTime, Enum, Float, Integer, Numeric

from core.audit import entity_type_of

#: How history shows a field's values (core.web.record): see :class:`Field`.
FIELD_KINDS = ("text", "label", "money", "percent", "number", "date", "moment", "bool", "reference")

#: String columns that hold a code shown as words (``in_arrears`` -> "en mora") unless declared otherwise.
LABEL_COLUMNS = frozenset({"status", "state", "bucket", "stage", "kind", "channel", "outcome", "action"})


@dataclass(frozen=True)
class Field:
    """How history shows one field of a record.

    ``label``: its words, a TranslationString of the plugin's domain (``_("Annual rate")``); None = from the
    column's name (``annual_rate`` -> "Annual rate", looked up in the plugin's catalogue, then core's).
    ``kind``: one of :data:`FIELD_KINDS`; None = from the column's type. ``ref``: for a ``reference``, the
    entity type it points at (``lending.customer``): shown as that record's label, linked to its page.
    """

    label: str | None = None
    kind: str | None = None
    ref: str | None = None


@dataclass(frozen=True)
class EntityType:
    model: type
    title: str
    view_permission: str
    edit_permission: str
    route: str | None = None  # route name of the record page, called with id=<pk>
    label: str = "{id}"  # format string over the record's attributes
    #: field name -> Field (or just its label) where the column's defaults are not good enough
    fields: Mapping[str, Field | str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def name(self) -> str:
        return entity_type_of(self.model)


def build_entity_registry(pm, permissions) -> dict[str, EntityType]:
    from core.errors import StartupError

    found: dict[str, EntityType] = {}
    for owner, types in pm.call_per_plugin("mutuo_entity_types"):
        for et in types:
            if et.name in found:
                raise StartupError(f"Entity type '{et.name}' is declared twice ({owner}).")
            for perm in (et.view_permission, et.edit_permission):
                if perm not in permissions:
                    raise StartupError(f"Entity type '{et.name}' names unknown permission '{perm}'.")
            found[et.name] = et
    return found


def entity_types(request_or_registry) -> dict[str, EntityType]:
    registry = getattr(request_or_registry, "registry", request_or_registry)
    return registry["mutuo.entities"]


def record_url(request, entity_type: str, entity_id) -> str | None:
    et = entity_types(request).get(entity_type)
    if et is None or et.route is None or entity_id is None:
        return None
    try:
        return request.route_url(et.route, id=entity_id)
    except KeyError:
        return None


# -- fields: what history calls a record's columns and how it shows their values ------------

def models_by_entity_type() -> dict[str, type]:
    """Every mapped model by its entity type name (``lending.installment``), declared or not."""
    from core.models.meta import Base

    mappers = Base.registry.mappers
    if _MODELS.get("count") != len(mappers):
        _MODELS["count"] = len(mappers)
        _MODELS["by_name"] = {entity_type_of(m.class_): m.class_ for m in mappers if hasattr(m.class_, "__tablename__")}
        _MODELS["by_table"] = {m.class_.__tablename__: m.class_ for m in mappers if hasattr(m.class_, "__tablename__")}
    return _MODELS["by_name"]


_MODELS: dict = {}


def humanise(key: str) -> str:
    """A column's name as words: ``customer_id`` -> "Customer", ``disbursed_on`` -> "Disbursed on"."""
    words = key[:-3] if key.endswith("_id") and len(key) > 3 else key
    return words.replace("_", " ").strip().capitalize()


def _kind_of(column) -> tuple[str, str | None]:
    """(kind, referenced entity type) of a mapped column, from its type and foreign key."""
    for fk in column.foreign_keys:
        models_by_entity_type()
        target = _MODELS["by_table"].get(fk.column.table.name)
        if target is not None:
            return "reference", entity_type_of(target)
    kind = column.type
    if isinstance(kind, Boolean):
        return "bool", None
    if isinstance(kind, (DateTime,)) or isinstance(getattr(kind, "impl", None), DateTime):
        return "moment", None
    if isinstance(kind, Date):
        return "date", None
    if isinstance(kind, Enum):
        return "label", None
    if isinstance(kind, Numeric) and not isinstance(kind, Float):
        if kind.scale == 2:
            return "money", None  # core.models.meta.Money()
        if (kind.precision, kind.scale) == (9, 6):
            return "percent", None  # core.models.meta.Rate(): a fraction
        return "number", None
    if isinstance(kind, (Integer, Float)):
        return ("text" if column.key == "id" or column.key.endswith("_id") else "number"), None
    code = column.key in LABEL_COLUMNS or column.key.endswith("_status")
    return ("label" if code else "text"), None


def fields_of(model, declared: Mapping[str, Field | str] | None = None) -> dict[str, Field]:
    """Every column of ``model`` as a complete :class:`Field` (label, kind, ref), ``declared`` over defaults."""
    declared = declared or {}
    out: dict[str, Field] = {}
    for attr in model.__mapper__.column_attrs:
        column = attr.columns[0]
        if not isinstance(column, Column):  # a query expression, not stored
            continue
        kind, ref = _kind_of(column)
        mine = declared.get(attr.key)
        if isinstance(mine, Field):
            out[attr.key] = Field(mine.label if mine.label is not None else humanise(attr.key),
                                  mine.kind or ("reference" if mine.ref else kind), mine.ref or ref)
        else:
            out[attr.key] = Field(mine if mine is not None else humanise(attr.key), kind, ref)
    for key, mine in declared.items():  # names that are no column (event data): as declared
        if key not in out:
            out[key] = mine if isinstance(mine, Field) else Field(mine)
    return out


def entity_fields(request_or_registry, entity_type: str) -> dict[str, Field]:
    """The fields of the records of ``entity_type`` (cached per app); empty when no model has that name."""
    registry = getattr(request_or_registry, "registry", request_or_registry)
    cache = registry.setdefault("mutuo.entity_fields", {})
    found = cache.get(entity_type)
    if found is None:
        et = entity_types(registry).get(entity_type)
        model = et.model if et else models_by_entity_type().get(entity_type)
        found = cache[entity_type] = fields_of(model, et.fields if et else None) if model is not None else {}
    return found
