"""The write side of what people and CI do besides sending beacons (shared/DESIGN.md §4):
its own service and database login, so the query service stays read-only."""
