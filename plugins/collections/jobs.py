"""Collections' scheduled jobs: thin wrappers over the services (one transaction per run).

The assignment is a chunked job (docs/jobs.md "Chunked jobs"): one run makes
every choice, chunks of cases are written on any worker, the last one sums up.

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


ASSIGN_CHUNK = 5000  # cases per chunk (mutuo.jobs.chunk_size.collections.assign_cases)


def assign_cases(request):
    """Plan the day's assignment (the same choices as one transaction would make); chunks write it."""
    from core.jobs import FanOut, chunk_size

    size = chunk_size(request.registry.settings, "collections.assign_cases", ASSIGN_CHUNK)
    chunks, run = assignment.plan_assignment(request.dbsession, size)
    if not chunks:
        return run.summary
    chunks[0]["unassigned"] = run.unassigned  # finish() reports the stages nobody holds
    return FanOut(chunks)


def assign_cases_chunk(request, args: dict) -> dict:
    return assignment.assign_chunk(request.dbsession, args)


def assign_cases_finish(request, chunks) -> str:
    unassigned = chunks[0].args.get("unassigned", {}) if chunks else {}
    return assignment.finish_assignment([chunk.result for chunk in chunks], unassigned).summary


def create_action_items(request) -> str:
    return actions.create_due_items(request.dbsession).summary
