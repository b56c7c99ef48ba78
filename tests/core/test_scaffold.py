"""`mutuo plugin new` writes a complete package (installing it and running its tests is .ci/scaffold-check)."""
import ast

import pytest
from click.testing import CliRunner

from core.errors import UserError
from core.scaffold import check_name, new_plugin


@pytest.mark.parametrize("name", ["Tenders", "1tenders", "tenders-dept", "l", "class", "lending", "core"])
def test_names_that_cannot_be_plugins_are_refused(name):
    with pytest.raises(UserError):
        check_name(name, ())


def test_an_unknown_dependency_is_refused():
    with pytest.raises(UserError, match="not installed"):
        check_name("tenders", ("nosuchplugin",))


def test_the_package_has_every_part_and_valid_python(tmp_path):
    target = new_plugin("tenders", tmp_path / "mutuo-tenders", depends=("lending",))
    files = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert {"setup.cfg", "pyproject.toml", "README.md", "docs/tenders.md", "tests/conftest.py", "tests/test_tenders.py",
            "mutuo_tenders/__init__.py", "mutuo_tenders/models.py", "mutuo_tenders/services.py", "mutuo_tenders/views.py",
            "mutuo_tenders/jobs.py", "mutuo_tenders/templates/item.pt",
            "mutuo_tenders/migrations/versions/tenders_0001_items.py"} <= files
    for path in target.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "{{" not in text, f"unrendered marker in {path}"
            if path.suffix == ".py":
                ast.parse(text, str(path))
    init = (target / "mutuo_tenders/__init__.py").read_text()
    assert 'depends=("lending",)' in init
    migration = (target / "mutuo_tenders/migrations/versions/tenders_0001_items.py").read_text()
    assert 'branch_labels = ("tenders",)' in migration and "lending_" in migration  # depends on lending's head
    assert "mutuo.plugins =\n    tenders = mutuo_tenders" in (target / "setup.cfg").read_text()
    conftest = (target / "tests/conftest.py").read_text()
    assert '"products", "lending", "tenders"' in conftest


def test_it_never_overwrites(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        new_plugin("tenders", tmp_path / "taken")


def test_the_command_reports_what_it_wrote_and_refuses_in_one_line(tmp_path):
    from core.cli import main

    result = CliRunner().invoke(main, ["plugin", "new", "tenders", "--path", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "pip install -e" in result.output
    refused = CliRunner().invoke(main, ["plugin", "new", "Bad-Name"])
    assert refused.exit_code == 1 and "cannot be a plugin name" in refused.output
    assert "Traceback" not in refused.output
