"""Entity type names come from the owning plugin, and the stored ones never change."""
from core.audit import entity_type_of
from core.entities import EntityType
from core.models.meta import Base
from core.platform import import_models
from core.plugins import available_plugins, get_plugin_manager, plugin_of_module

SHIPPED = ("core.", "plugins.", "mutuo_sample.")


def older_rule(model) -> str:
    """How names were derived before: the table name split at its first underscore."""
    plugin, _, rest = model.__tablename__.partition("_")
    return f"{plugin}.{rest}" if rest else model.__tablename__


def test_names_of_every_existing_model_are_unchanged():
    """Audit entries and document links store these names: deriving them from the plugin keeps them."""
    import_models(get_plugin_manager({"mutuo.plugins": " ".join(available_plugins())}))
    models = [m.class_ for m in Base.registry.mappers if m.class_.__module__.startswith(SHIPPED)]
    assert len(models) > 20
    assert {plugin_of_module(m.__module__) for m in models} == {"core", *available_plugins()}
    changed = {m.__name__: (older_rule(m), entity_type_of(m)) for m in models if entity_type_of(m) != older_rule(m)}
    assert changed == {}
    by_table = {m.__tablename__: entity_type_of(m) for m in models}
    assert by_table["core_user"] == "core.user" and by_table["core_document_link"] == "core.document_link"
    assert by_table["products_product"] == "products.product" and by_table["lending_loan"] == "lending.loan"


def test_plugin_with_an_underscore_in_its_name_needs_no_entity_type_attribute():
    get_plugin_manager({"mutuo.plugins": "my_plugin"},
                       extra_available={"my_plugin": "tests.core.fake_plugins.my_plugin"})
    thing = type("Thing", (), {"__tablename__": "my_plugin_thing",
                               "__module__": "tests.core.fake_plugins.my_plugin.models"})
    assert entity_type_of(thing) == "my_plugin.thing"
    assert EntityType(thing, "Thing", "my_plugin.thing.view", "my_plugin.thing.manage").name == "my_plugin.thing"


def test_entity_type_attribute_still_overrides():
    custom = type("Custom", (), {"__tablename__": "core_custom", "__module__": "core.models.custom",
                                 "__entity_type__": "core.special"})
    assert entity_type_of(custom) == "core.special"
