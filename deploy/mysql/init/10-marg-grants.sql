-- Marg creates one database per app on the server (`<DB_DATABASE>_<name>`: marg_accounts,
-- marg_flow, …) at `marg migrate`: its user may create and use every `marg_*` database.
-- The official mariadb/mysql images run this file once, when the data directory is new.
GRANT ALL PRIVILEGES ON `marg\_%`.* TO 'marg'@'%';
