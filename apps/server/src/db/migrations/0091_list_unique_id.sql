-- Issue 19: ITI-18 GetFolders, GetFolderAndContents and GetSubmissionSetAndContents name a SubmissionSet or Folder by
-- its uniqueId alone (no patient): an index on uniqueId finds its record (on Citus, one index probe per shard).
CREATE INDEX submission_set_unique_id ON submission_set (unique_id);
CREATE INDEX folder_unique_id ON folder (unique_id);
