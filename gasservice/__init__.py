"""The project package.

The Celery app (gasservice.celery) is not imported here: the worker and beat find it through
`celery -A gasservice`, and a web process creates it on its first publish (gasservice.broker),
so commands and requests that queue nothing never load Celery.
"""
