"""Finance's rules as plain functions over a session: views, jobs, hooks and the API call these."""
