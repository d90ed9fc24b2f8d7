CREATE TABLE app.t (a integer, b integer);
CREATE TABLE app.u (c integer);
CREATE VIEW app.v AS SELECT a FROM app.t;
SELECT pggit.create_branch('b1', 'main');
SELECT pggit.checkout_branch('b1');
CREATE OR REPLACE VIEW app.v AS SELECT a, b FROM app.t;
SELECT pggit.checkout_branch('main');
ALTER TABLE app.u RENAME TO u2;
CREATE OR REPLACE VIEW app.v AS SELECT a, b FROM app.t;
