"""CPU milliseconds per request of a few pages, in-process (WebTest), as the demo's admin.

    .venv/bin/mutuo db upgrade && .venv/bin/mutuo demo load      # the demo database (make run makes it)
    .venv/bin/python bench/page_cpu.py [--config config/development.ini] [--locale es] [PATH ...]

Process CPU time, not wall time: other work on the machine moves it far less, so two
versions of the code compare on one machine even while it is busy. Prints the best and
the median of 5 rounds of 40 requests per page. ``--locale es`` sends Accept-Language.
"""
from __future__ import annotations

import argparse
import time

PATHS = ("/", "/lending/loans", "/lending/customers", "/collections/queue", "/collections/cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/development.ini")
    parser.add_argument("--locale", default="en")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="admin-demo-pass")
    parser.add_argument("paths", nargs="*", default=PATHS)
    args = parser.parse_args()

    from webtest import TestApp

    from core.config import load_settings
    from core.web.app import make_app

    app = TestApp(make_app(load_settings(args.config)), extra_environ={"HTTP_ACCEPT_LANGUAGE": args.locale})
    form = app.get("/login").forms[0]
    form["username"], form["password"] = args.user, args.password
    form.submit(status=302)
    print(f"{'page':32} {'best ms':>8} {'median ms':>10}   (CPU per request, locale {args.locale})")
    for path in args.paths:
        for _ in range(10):
            app.get(path)
        rounds = []
        for _ in range(5):
            started = time.process_time()
            for _ in range(40):
                app.get(path)
            rounds.append((time.process_time() - started) / 40 * 1000)
        rounds.sort()
        print(f"{path:32} {rounds[0]:8.2f} {rounds[2]:10.2f}")


if __name__ == "__main__":
    main()
