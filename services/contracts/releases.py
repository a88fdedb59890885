"""What the workers and the query service agree on about the `releases` table."""

from __future__ import annotations

from datetime import timedelta

# The workers move a release's last_seen only when a page view is more than this past it
# (services/workers/releases.py says why), so readers take last_seen + LAST_SEEN_SLACK as
# the end of the release's page views.
LAST_SEEN_SLACK = timedelta(hours=1)
