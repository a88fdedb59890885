"""The same beacons sent to a stack on each TimescaleDB edition, every view compared.

beacons.py builds the deterministic traffic (a script of deliveries; page_views.py draws
each page view), stacks.py plays it through the workers' batch processing and reads the
views through the real query app, views.py lists the views, diff.py compares two stacks'
answers field by field.
"""
