import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import { ApiError } from './api/client';
import { App } from './App';
import { SessionProvider } from './auth/SessionContext';
import { ThemeProvider } from './components/ThemeContext';
import { ToastProvider } from './components/Toasts';
import './styles/theme.css';
import './styles/base.css';
import './styles/layout.css';
import './styles/views.css';
import './styles/grid.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Errors a retry cannot fix (no such DAG, forbidden) are shown at once.
      retry: (failures, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && failures < 2,
      refetchOnWindowFocus: true,
      // Polling runs only while the tab is visible.
      refetchIntervalInBackground: false,
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ThemeProvider>
        <ToastProvider>
          <BrowserRouter>
            <SessionProvider>
              <App />
            </SessionProvider>
          </BrowserRouter>
        </ToastProvider>
      </ThemeProvider>
    </QueryClientProvider>
  </StrictMode>,
);
