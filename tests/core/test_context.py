"""The service context: every session made by the platform can fire events; a bare one refuses loudly."""
from datetime import date

import pytest

from core import context
from core.db import get_session_factory


def test_sessions_of_the_platform_carry_the_plugin_manager_and_settings(mutuo_db):
    session = mutuo_db.session_factory()
    try:
        assert context.plugin_manager(session) is mutuo_db.pm
        assert context.settings(session)["mutuo.secret"] == mutuo_db.settings["mutuo.secret"]
    finally:
        session.close()


def test_firing_an_event_without_a_plugin_manager_raises(mutuo_db):
    session = get_session_factory(mutuo_db.engine)()  # made outside the platform
    try:
        with pytest.raises(context.ServiceContextError, match="no plugin manager"):
            context.hooks(session)
        with pytest.raises(context.ServiceContextError):
            context.has_listeners(session, "mutuo_menu")
        context.bind(session, pm=mutuo_db.pm)
        assert context.hooks(session) is mutuo_db.pm.hook
    finally:
        session.close()


def test_business_date_follows_as_of_and_comes_back(mutuo_db):
    session = mutuo_db.session_factory()
    try:
        real = context.today(session)
        with context.as_of(session, date(2020, 2, 29)):
            assert context.today(session) == date(2020, 2, 29)
        assert context.today(session) == real
    finally:
        session.close()


def test_job_sessions_are_bound_to_the_jobs_own_settings(mutuo_db):
    from core.jobs import job_platform

    registry = job_platform({**mutuo_db.settings, "mutuo.timezone": "Europe/Madrid"}, base=mutuo_db.registry,
                            engine=mutuo_db.engine)
    session = registry["dbsession_factory"]()
    try:
        assert context.settings(session)["mutuo.timezone"] == "Europe/Madrid"
        assert context.plugin_manager(session) is registry["mutuo.pm"]
    finally:
        session.close()
