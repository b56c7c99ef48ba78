"""Start-up cost: building the app with every plugin, and `mutuo --help`.

Each figure is printed beside a bare baseline measured in the same run:
a bare Pyramid app with one route, and a bare click command.
Targets: app <= 2 s, `mutuo --help` <= 0.5 s.
Run: .venv/bin/python bench/startup.py
"""
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5


def best_of(cmd) -> float:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    from core.plugins import available_plugins

    plugins = " ".join(name for name in available_plugins() if name != "sample")
    with tempfile.TemporaryDirectory() as tmp:
        build_app = (
            "import time; t=time.perf_counter();"
            "from core.web.app import make_app;"
            f"make_app({{'mutuo.environment':'development','mutuo.secret':'s','mutuo.plugins':'{plugins}',"
            f"'sqlalchemy.url':'sqlite:///{tmp}/b.sqlite','mutuo.documents.path':'{tmp}/docs'}})"
        )
        bare_app = (
            "from pyramid.config import Configurator;"
            "c=Configurator(); c.add_route('h','/'); c.add_view(lambda r: r.response, route_name='h');"
            "c.make_wsgi_app()"
        )
        bare_click = "import click\n@click.group()\ndef m(): pass\nm(['--help'])"
        py = sys.executable
        app = best_of([py, "-c", build_app])
        bare = best_of([py, "-c", bare_app])
        help_ = best_of([str(Path(py).parent / "mutuo"), "--help"])
        click_ = best_of([py, "-c", bare_click])
    print(f"plugins: {plugins or '(none)'}  (median of {RUNS} runs, each a fresh process incl. interpreter start)")
    print(f"build app, all plugins : {app:6.3f} s   bare Pyramid app {bare:6.3f} s   ratio {app / bare:5.1f}x   target <= 2 s")
    print(f"mutuo --help           : {help_:6.3f} s   bare click        {click_:6.3f} s   ratio {help_ / click_:5.1f}x   target <= 0.5 s")


if __name__ == "__main__":
    main()
