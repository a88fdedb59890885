-- Routes people recognise (issue 15): by default a trailing slash makes no route of its
-- own (`/about/` and `/about` are one route, services/workers/routes.py); a project whose
-- site serves different pages at the two sets this to keep them apart.
--
-- A constant default: PostgreSQL 11+ records it in the catalogue without rewriting the
-- table, so this is instant however many projects there are.
ALTER TABLE projects ADD COLUMN keep_trailing_slash boolean NOT NULL DEFAULT false;
