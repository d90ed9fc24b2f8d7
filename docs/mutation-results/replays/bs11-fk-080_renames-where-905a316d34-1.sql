CREATE TABLE "app"."p" ("id" integer, "k" integer, PRIMARY KEY ("id"), CONSTRAINT "uk" UNIQUE ("k"));
CREATE TABLE "app"."c" ("x" integer, CONSTRAINT "fk" FOREIGN KEY ("x") REFERENCES "app"."p" ("id"));
CREATE TABLE app.u (c integer);
SELECT pggit.create_branch('b1', 'main');
SELECT pggit.checkout_branch('b1');
ALTER TABLE "app"."c" DROP CONSTRAINT "fk", ADD CONSTRAINT "fk" FOREIGN KEY ("x") REFERENCES "app"."p" ("k");
SELECT pggit.checkout_branch('main');
ALTER TABLE app.u RENAME TO u2;
ALTER TABLE "app"."c" ADD COLUMN "y" integer;
