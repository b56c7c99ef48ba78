"""An interrupted `mutuo demo load` can be run again: it goes on where it stopped."""
import pytest
from sqlalchemy import func, select

from core.testing import TestDatabase


class Interrupted(Exception):
    pass


def test_interrupted_demo_load_resumes(mutuo_tmp, tmp_path, monkeypatch):
    """Before: products' demo committed, lending's failed, and the rerun stopped at "Code CASH-12 is taken"."""
    import plugins.lending.demo
    from core.cli import Env
    from core.demo import load_demo
    from core.platform_state import get_state
    from plugins.lending.models import Customer
    from plugins.products.models import LoanProduct as Product

    db = TestDatabase(("products", "lending"), mutuo_tmp / "demo-resume")
    ini = tmp_path / "demo.ini"
    ini.write_text("[app:main]\nuse = egg:mutuo\n" + "".join(
        f"{k} = {str(v).replace('%', '%%')}\n" for k, v in {**db.settings, "mutuo.demo_users": "true"}.items()))
    real_load = plugins.lending.demo.load

    def load_then_fail(session, scale, **kw):
        real_load(session, scale, **kw)  # lending writes all its records, then the process "dies"
        raise Interrupted("killed in the middle of lending's demo data")

    def count(model):
        with db.session_factory() as session:
            return session.scalar(select(func.count()).select_from(model))

    monkeypatch.setattr(plugins.lending.demo, "load", load_then_fail)
    lines = []
    with pytest.raises(Interrupted):
        load_demo(Env(str(ini)), echo=lines.append)
    products = count(Product)
    assert products and count(Customer) == 0  # products committed; nothing of lending
    assert any(line.startswith("  products:") for line in lines)

    monkeypatch.setattr(plugins.lending.demo, "load", real_load)
    lines = []
    assert load_demo(Env(str(ini)), echo=lines.append) is True
    assert "  products: already loaded by an earlier, interrupted run" in lines
    assert count(Product) == products and count(Customer) > 0
    assert db.transaction(lambda s: get_state(s, "demo_loaded")) == "1"
    assert load_demo(Env(str(ini)), echo=lines.append) is False  # done: nothing more to do
    db.engine.dispose()
