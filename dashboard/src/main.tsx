import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { loadConfig } from './config';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

loadConfig().then(
  (config) =>
    root.render(
      <StrictMode>
        <App config={config} />
      </StrictMode>,
    ),
  (error: Error) =>
    root.render(
      <main className="sign-in">
        <div className="sign-in-card notice notice-error" role="alert">
          <h1>Vitals cannot start</h1>
          <p>{error.message}</p>
        </div>
      </main>,
    ),
);
