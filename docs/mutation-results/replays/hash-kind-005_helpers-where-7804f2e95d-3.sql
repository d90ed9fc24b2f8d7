CREATE TABLE "app"."t" ("a" integer);
CREATE INDEX "i1" ON "app"."t" ("a");
CREATE VIEW "app"."v" AS SELECT "a" FROM "app"."t";
SELECT pggit.compute_ddl_hash('VIEW', 'app', 't');
SELECT pggit.compute_ddl_hash('INDEX', 'app', 't');
SELECT pggit.compute_ddl_hash('TABLE', 'app', 'v');
SELECT pggit.compute_ddl_hash('TABLE', 'app', 'i1');
SELECT pggit.compute_ddl_hash('VIEW', 'app', 'i1');
