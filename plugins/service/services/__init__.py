"""Customer service's rules as plain functions over a session (views, API, jobs and the demo call these).

:mod:`.sla` the business calendar and service levels, :mod:`.tickets` the ticket's life,
:mod:`.routing` departments' queues, :mod:`.surveys` CSAT and NPS, :mod:`.announcements`
the notice board and announcements, :mod:`.reports` the figures.
"""
