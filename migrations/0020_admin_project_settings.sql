-- The admin service reads and changes every project setting, those later migrations add
-- too (0021's keep_trailing_slash, say): table-wide SELECT and UPDATE on projects, which
-- also cover columns added after this grant. Nothing in the table is secret. The API
-- still never changes a slug (deploy jobs and `vitals` commands name projects by it) and
-- cannot change an id (an identity column); it still may not delete a project row (the
-- workers' purge does, as the owner) nor touch any other table beyond 0019's grants.
GRANT SELECT, UPDATE ON projects TO vitals_admin;
