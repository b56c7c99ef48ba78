"""Legal's rules, as plain functions over a session: the views, jobs, API and demo call these.

``templates`` renders contract texts; ``contracts`` runs review, approval,
the frozen hash and signatures; ``terms`` renewals, notices, expiry and
reminders; ``seals``, ``matters``, ``opinions`` and ``limitation`` the rest.
"""
