"""The same beacons sent to a stack on each TimescaleDB edition, every view compared.

beacons.py builds the deterministic traffic (a script of deliveries), stacks.py plays it
through the workers' batch processing and reads the views through the real query app,
views.py lists the views, diff.py compares two stacks' answers field by field.
"""
