"""`mutuo plugin new` writes a complete package (installing it and running its tests is .ci/scaffold-check)."""
import ast

import pytest
from click.testing import CliRunner

from core.errors import UserError
from core.scaffold import check_name, new_plugin


@pytest.mark.parametrize("name", ["Legal", "1legal", "legal-dept", "l", "class", "lending", "core"])
def test_names_that_cannot_be_plugins_are_refused(name):
    with pytest.raises(UserError):
        check_name(name, ())


def test_an_unknown_dependency_is_refused():
    with pytest.raises(UserError, match="not installed"):
        check_name("legal", ("nosuchplugin",))


def test_the_package_has_every_part_and_valid_python(tmp_path):
    target = new_plugin("legal", tmp_path / "mutuo-legal", depends=("lending",))
    files = {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()}
    assert {"setup.cfg", "pyproject.toml", "README.md", "docs/legal.md", "tests/conftest.py", "tests/test_legal.py",
            "mutuo_legal/__init__.py", "mutuo_legal/models.py", "mutuo_legal/services.py", "mutuo_legal/views.py",
            "mutuo_legal/jobs.py", "mutuo_legal/templates/item.pt",
            "mutuo_legal/migrations/versions/legal_0001_items.py"} <= files
    for path in target.rglob("*"):
        if path.is_file():
            text = path.read_text()
            assert "{{" not in text, f"unrendered marker in {path}"
            if path.suffix == ".py":
                ast.parse(text, str(path))
    init = (target / "mutuo_legal/__init__.py").read_text()
    assert 'depends=("lending",)' in init
    migration = (target / "mutuo_legal/migrations/versions/legal_0001_items.py").read_text()
    assert 'branch_labels = ("legal",)' in migration and "lending_" in migration  # depends on lending's head
    assert "mutuo.plugins =\n    legal = mutuo_legal" in (target / "setup.cfg").read_text()
    conftest = (target / "tests/conftest.py").read_text()
    assert '"products", "lending", "legal"' in conftest


def test_it_never_overwrites(tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        new_plugin("legal", tmp_path / "taken")


def test_the_command_reports_what_it_wrote_and_refuses_in_one_line(tmp_path):
    from core.cli import main

    result = CliRunner().invoke(main, ["plugin", "new", "legal", "--path", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "pip install -e" in result.output
    refused = CliRunner().invoke(main, ["plugin", "new", "Bad-Name"])
    assert refused.exit_code == 1 and "cannot be a plugin name" in refused.output
    assert "Traceback" not in refused.output
