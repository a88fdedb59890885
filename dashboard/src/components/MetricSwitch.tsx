/** A choice among a few options as a radio group styled as segmented buttons (←/→ move). */
import { useId } from 'react';

interface SegmentedProps<T extends string> {
  label: string;
  options: readonly T[];
  value: T;
  onChange: (value: T) => void;
  names?: Partial<Record<T, string>>;
}

export function Segmented<T extends string>({ label, options, value, onChange, names }: SegmentedProps<T>) {
  const name = useId();
  return (
    <fieldset className="segmented" aria-label={label}>
      <legend className="sr-only">{label}</legend>
      {options.map((option) => (
        <label key={option} className={option == value ? 'selected' : ''}>
          <input type="radio" name={name} value={option} checked={option == value} onChange={() => onChange(option)} />
          <span>{names?.[option] ?? option}</span>
        </label>
      ))}
    </fieldset>
  );
}
