-- Issue 17 rule 2 (CSP L1111-5): a consent a professional declared in connexion secrète (caring for a minor in
-- secret from their legal representatives) is marked, so that the representatives' list of authorizations leaves
-- it out, as their view of the access history leaves out that professional's traces. The policy still counts it.
ALTER TABLE consent ADD COLUMN secret boolean NOT NULL DEFAULT false;
