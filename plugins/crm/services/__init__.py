"""Market development's rules as plain functions over a session (views, jobs, API and demo call them)."""
