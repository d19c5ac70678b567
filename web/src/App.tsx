import { lazy, Suspense } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { RequireSession } from './auth/RequireSession';
import { Layout } from './components/Layout';
import { Loading } from './components/QueryState';
import { LoginPage } from './pages/LoginPage';
import { DagListPage } from './pages/dags/DagListPage';
import { DagPage } from './pages/dag/DagPage';
import { NotFoundPage } from './pages/NotFoundPage';

// Admin pages are seldom opened: their code loads when first visited.
const VariablesPage = lazy(() => import('./pages/admin/VariablesPage'));
const ConnectionsPage = lazy(() => import('./pages/admin/ConnectionsPage'));
const PoolsPage = lazy(() => import('./pages/admin/PoolsPage'));
const UsersPage = lazy(() => import('./pages/admin/UsersPage'));

export function App() {
  return (
    <Routes>
      <Route path="/login" element={<LoginPage />} />
      <Route
        element={
          <RequireSession>
            <Layout />
          </RequireSession>
        }
      >
        <Route index element={<Navigate to="/dags" replace />} />
        <Route path="/dags" element={<DagListPage />} />
        <Route path="/dags/:dagId" element={<DagPage />} />
        <Route path="/dags/:dagId/runs/:runId" element={<DagPage />} />
        <Route path="/dags/:dagId/runs/:runId/tasks/:taskId" element={<DagPage />} />
        <Route path="/variables" element={<Suspense fallback={<Loading />}><VariablesPage /></Suspense>} />
        <Route path="/connections" element={<Suspense fallback={<Loading />}><ConnectionsPage /></Suspense>} />
        <Route path="/pools" element={<Suspense fallback={<Loading />}><PoolsPage /></Suspense>} />
        <Route path="/users" element={<Suspense fallback={<Loading />}><UsersPage /></Suspense>} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
