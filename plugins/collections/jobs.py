"""Collections' scheduled jobs: thin wrappers over the services (one transaction per run).

They run after lending's close of business (00:30): sync 00:35, promises
00:40, assignment 00:45, action items 00:50 — so the morning queue is ready.
"""
from __future__ import annotations

from plugins.collections import services
from plugins.collections.services import actions, assignment, contacts


def sync_cases(request) -> str:
    return services.sync(request.dbsession)


def check_promises(request) -> str:
    return contacts.check_promises(request.dbsession).summary


def assign_cases(request) -> str:
    return assignment.assign_cases(request.dbsession).summary


def create_action_items(request) -> str:
    return actions.create_due_items(request.dbsession).summary
