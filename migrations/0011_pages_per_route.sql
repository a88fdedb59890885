-- A page row per (host, path, route), so every sample keeps the route its page had when it
-- was written, in raw rows and in every rollup alike (issue 16). Until now a route change
-- (a new project rule, an SPA router's new template) rewrote the one row per path in
-- place: samples read from raw rows or the page-keyed rollups moved to the new route while
-- the route rollups kept the old one, and a re-report after the change took its old sample
-- out of the wrong route. Now a changed route is a new row; old rows stay as written.
--
-- md5(route): host and path may already take up to the 2,048 bytes ingest allows, and a
-- B-tree entry cannot exceed ~2.7 kB, so the route joins the key as a fixed-size digest.
ALTER TABLE pages DROP CONSTRAINT pages_project_id_host_path_key;
CREATE UNIQUE INDEX pages_identity ON pages (project_id, host, path, md5(route));
