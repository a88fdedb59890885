-- The query service's role: it may read everything it serves and write nothing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vitals_reader') THEN
        CREATE ROLE vitals_reader NOLOGIN;
    END IF;
END
$$;
GRANT USAGE ON SCHEMA public TO vitals_reader;
GRANT SELECT ON projects, pages, vitals, vitals_hourly, vitals_daily, users, user_projects
    TO vitals_reader;
-- The owner switches to the reader with SET ROLE, which needs membership.
GRANT vitals_reader TO CURRENT_USER;
