-- Issue 21 point 8: the directory keeps a professional's sex (the RPPS civilité), so that the portals agree their
-- words with it ("Dr Anne CARDIO est bloquée", "elle ne pourra plus…"); NULL when unknown, and the portals then
-- write without agreement. Citus: professional is a reference table, the ALTER is propagated to every node; Citus
-- refuses a column added with an unnamed constraint (seen on a 3-node cluster), hence the column, then its named check.
ALTER TABLE professional ADD COLUMN sex text;
ALTER TABLE professional ADD CONSTRAINT professional_sex_check CHECK (sex IS NULL OR sex IN ('male', 'female'));
