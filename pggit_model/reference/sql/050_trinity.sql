-- T1-T9: Trinity IDs, `<UTC YYYYMMDDHH24MISSUS>-<sequence, >= 6 digits>-<8 random hex>`.
CREATE FUNCTION pggit.generate_trinity_id() RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    -- T3, T6, T8: one nextval per call, bigint, zero-padded but never truncated
    v_seq text := nextval('pggit.trinity_id_seq')::text;
BEGIN
    RETURN
        -- T2: wall clock at UTC, independent of TimeZone and DateStyle
        to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISSUS')
        || '-' || lpad(v_seq, greatest(6, length(v_seq)), '0')
        -- T4: the first 8 hex digits of a v4 uuid are random
        || '-' || left(gen_random_uuid()::text, 8);
END $$;
