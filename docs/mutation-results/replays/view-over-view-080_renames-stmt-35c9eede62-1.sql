CREATE TABLE "app"."t" ("a" integer);
CREATE VIEW "app"."v" AS SELECT "a" FROM "app"."t";
CREATE VIEW "app"."w" AS SELECT "a" FROM "app"."v";
ALTER VIEW "app"."v" RENAME TO "v2";
CREATE OR REPLACE VIEW "app"."w" AS SELECT "a" FROM "app"."v2";
