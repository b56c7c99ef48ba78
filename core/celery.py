"""For ``celery -A core.celery worker|beat``: the app of the platform ``$MUTUO_CONFIG`` describes.

    MUTUO_CONFIG=config/development.ini celery -A core.celery worker --beat

Importing this module builds that platform (plugins, jobs, engine), so only
Celery's command line should: Mutuo's own code takes the app from the
registry (:func:`core.celery_app.celery_app`). See core/celery_app.py.
"""
from core.celery_app import app_from_environment

app = app_from_environment()
