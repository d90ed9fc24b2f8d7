-- V3: the event triggers, created last so that the install itself records nothing.
-- Creating event triggers needs a superuser (I2).
CREATE EVENT TRIGGER pggit_ddl_command_start ON ddl_command_start
    EXECUTE FUNCTION pggit._on_ddl_command_start();
CREATE EVENT TRIGGER pggit_ddl_command_end ON ddl_command_end
    EXECUTE FUNCTION pggit._on_ddl_command_end();
CREATE EVENT TRIGGER pggit_sql_drop ON sql_drop
    EXECUTE FUNCTION pggit._on_sql_drop();
