/**
 * A value to copy: a read-only field (or a block for code) with a Copy button. Without
 * clipboard access the text is selected instead, for Ctrl-C.
 */
import { useRef, useState } from 'react';

export function CopyField({ label, value, multiline = false, testId }: {
  label: string; value: string; multiline?: boolean; testId?: string;
}) {
  const field = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [note, setNote] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setNote('Copied.');
    } catch {
      field.current?.select();
      setNote('Selected: press Ctrl-C (⌘-C) to copy it.');
    }
  };
  const rows = Math.min(12, value.split('\n').length);
  return (
    <div className="copy-field" data-testid={testId}>
      <div className="secret-row">
        {multiline ? (
          <textarea ref={field} readOnly value={value} aria-label={label} rows={rows} spellCheck={false}
            className="mono code-block" onFocus={(e) => e.target.select()} />
        ) : (
          <input ref={field} readOnly value={value} aria-label={label} className="mono"
            onFocus={(e) => e.target.select()} />
        )}
        <button type="button" className="button" onClick={copy} aria-label={`Copy ${label.toLowerCase()}`}>
          Copy
        </button>
      </div>
      {note && <p className="muted copy-note" aria-live="polite">{note}</p>}
    </div>
  );
}
