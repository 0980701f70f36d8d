/** The archive / unarchive toggle and the delete button shared by both portals' document pages. */
export function ArchiveAndDeleteButtons({
  archived,
  busy,
  onToggleArchive,
  onDelete,
}: {
  archived: boolean;
  busy: boolean;
  onToggleArchive: () => void;
  onDelete: () => void;
}) {
  return (
    <>
      <button type="button" className="button secondary" disabled={busy} onClick={onToggleArchive}>
        {archived ? 'Désarchiver' : 'Archiver'}
      </button>
      <button type="button" className="button danger" disabled={busy} onClick={onDelete}>
        Supprimer
      </button>
    </>
  );
}
