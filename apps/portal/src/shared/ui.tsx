/**
 * Small accessible building blocks shared by both portals.
 */
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api.ts';

export type AlertKind = 'info' | 'success' | 'warning' | 'error';

/** A message box; errors are announced at once (role=alert), others politely (role=status). */
export function Alert({
  kind = 'info',
  title,
  children,
}: {
  readonly kind?: AlertKind;
  readonly title?: string;
  readonly children?: ReactNode;
}): ReactNode {
  return (
    <div className={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {title !== undefined && <p className="alert-title">{title}</p>}
      {children}
    </div>
  );
}

export function Loading({ label = 'Chargement…' }: { readonly label?: string }): ReactNode {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    return error.message;
  }
  if (error instanceof Error && error.message !== '') {
    return error.message;
  }
  return 'Une erreur inattendue est survenue.';
}

export function ErrorMessage({ error }: { readonly error: unknown }): ReactNode {
  return <Alert kind="error">{messageOf(error)}</Alert>;
}

export function Badge({
  kind = 'neutral',
  children,
}: {
  readonly kind?: 'neutral' | 'info' | 'warning' | 'danger' | 'success';
  readonly children: ReactNode;
}): ReactNode {
  return <span className={`badge badge-${kind}`}>{children}</span>;
}

export interface AsyncState<T> {
  readonly data: T | undefined;
  readonly error: unknown;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** Loads data when `deps` change; aborts the previous load. */
export function useAsync<T>(
  load: (signal: AbortSignal) => Promise<T>,
  deps: readonly unknown[],
): AsyncState<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true, error: undefined }));
    load(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) {
          setState({ data, error: undefined, loading: false });
        }
      },
      (error: unknown) => {
        if (!controller.signal.aborted) {
          setState({ data: undefined, error, loading: false });
        }
      },
    );
    return () => controller.abort();
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

/**
 * A confirmation dialog on the native <dialog> element (modal: focus is kept inside, Escape cancels, focus
 * returns to the opener).
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger = false,
  busy = false,
  confirmDisabled = false,
  onConfirm,
  onCancel,
}: {
  readonly open: boolean;
  readonly title: string;
  readonly children?: ReactNode;
  readonly confirmLabel: string;
  readonly danger?: boolean;
  readonly busy?: boolean;
  readonly confirmDisabled?: boolean;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}): ReactNode {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) {
      return;
    }
    if (open && !dialog.open) {
      dialog.showModal();
    } else if (!open && dialog.open) {
      dialog.close();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="actions">
        <button type="button" className="button secondary" onClick={onCancel} disabled={busy}>
          Annuler
        </button>
        <button
          type="button"
          className={`button ${danger ? 'danger' : 'primary'}`}
          onClick={onConfirm}
          disabled={busy || confirmDisabled}
        >
          {busy ? 'Veuillez patienter…' : confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A labelled form field with optional hint; the hint is tied to the control by aria-describedby. */
export function Field({
  label,
  hint,
  children,
  required = false,
}: {
  readonly label: string;
  readonly hint?: string;
  readonly required?: boolean;
  readonly children: (ids: { id: string; describedBy: string | undefined }) => ReactNode;
}): ReactNode {
  const id = useId();
  const hintId = `${id}-hint`;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      {hint !== undefined && (
        <p className="hint" id={hintId}>
          {hint}
        </p>
      )}
      {children({ id, describedBy: hint !== undefined ? hintId : undefined })}
    </div>
  );
}

/** Announces a short result message to screen readers and shows it. */
export function useFlash(): [ReactNode, (kind: AlertKind, text: string) => void] {
  const [flash, setFlash] = useState<{ kind: AlertKind; text: string; n: number } | undefined>();
  const show = useCallback((kind: AlertKind, text: string) => {
    setFlash((f) => ({ kind, text, n: (f?.n ?? 0) + 1 }));
  }, []);
  const node = flash ? (
    <Alert key={flash.n} kind={flash.kind}>
      {flash.text}
    </Alert>
  ) : null;
  return [node, show];
}
