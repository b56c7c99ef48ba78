"""Job declarations and the registry built from the enabled plugins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from core.security import StartupError


@dataclass(frozen=True)
class JobSpec:
    name: str  # <plugin>.<job>
    task: Callable  # task(request) -> summary string; runs in its own transaction
    schedule: str  # crontab "m h dom mon dow" or "every N seconds|minutes|hours"
    description: str = ""
    time_limit: int = 3600  # seconds; a run still "running" after this is failed


def build_job_registry(pm) -> dict[str, JobSpec]:
    jobs: dict[str, JobSpec] = {}
    for owner, specs in pm.call_per_plugin("mutuo_jobs"):
        for spec in specs:
            if not spec.name.startswith(owner + "."):
                raise StartupError(f"Job '{spec.name}' of plugin '{owner}' must be named '{owner}.<job>'.")
            if spec.name in jobs:
                raise StartupError(f"Job '{spec.name}' is declared twice; rename one of them.")
            jobs[spec.name] = spec
    return jobs
