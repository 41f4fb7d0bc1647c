"""Demo follow-ups (manage.py seed_demo): surveys of the demo's closed cases, answers, a recovery.

Idempotent: cases that already have a survey are left alone.
"""
