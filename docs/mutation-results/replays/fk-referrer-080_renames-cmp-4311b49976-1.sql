CREATE TABLE "app"."p" ("id" integer, PRIMARY KEY ("id"));
CREATE TABLE "app"."c" ("x" integer, CONSTRAINT "fk" FOREIGN KEY ("x") REFERENCES "app"."p" ("id"));
CREATE TABLE "app"."d" ("z" integer, CONSTRAINT "fk" CHECK ("z" > 0));
ALTER TABLE "app"."p" RENAME TO "p2";
ALTER TABLE "app"."c" ADD COLUMN "y" integer;
ALTER TABLE "app"."d" ADD COLUMN "y" integer;
