"""Risk's services: plain functions taking a session, used by the views, the API, the jobs and the demo."""
