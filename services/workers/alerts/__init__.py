"""Alerts in the workers (issue 14): rules evaluated on a schedule by exactly one worker at
a time (evaluate.py), and their notifications delivered from the outbox (delivery.py).
schedule.py enqueues both from every worker's maintenance tick."""
