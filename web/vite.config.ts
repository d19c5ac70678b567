import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// The API server the dev server forwards /api and /auth to.
const apiTarget = `http://127.0.0.1:${process.env.UPDRAFT_API_PORT ?? '8080'}`;

export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../internal/ui/dist',
    emptyOutDir: true,
    // No source maps in the committed bundle: it must stay small and its bytes
    // must depend on the source only.
    sourcemap: false,
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      output: {
        // The libraries every page needs go in one long-cached vendor file;
        // dagre stays with the graph view, loaded only when it is opened.
        codeSplitting: {
          groups: [{ name: 'vendor', test: /node_modules[\\/](react|react-dom|scheduler|react-router|@tanstack|cronstrue)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: apiTarget, changeOrigin: false },
      '/auth': { target: apiTarget, changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.{ts,tsx}'],
    environment: 'node',
  },
});
