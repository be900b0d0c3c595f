import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

// Serves the built frontend from packages/app/dist in production mode.
backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

backend.add(import('@backstage/plugin-auth-backend'));
// OIDC in production; guest only where app-config.local-stack.yaml asks.
backend.add(import('./modules/signInProviders'));

backend.add(import('@backstage/plugin-catalog-backend'));
// Logs catalog processing errors, so a broken entity file is seen at once.
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));
// `$text` beside file locations, for the API definitions kept in the repo.
backend.add(import('./modules/catalogFileText'));

backend.add(import('@backstage/plugin-permission-backend'));
// Streaming data for entity owners and admin groups; the rest stays allowed.
backend.add(import('./modules/permissionPolicy'));

backend.add(import('@backstage/plugin-techdocs-backend'));

backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
backend.add(import('@backstage/plugin-search-backend-module-techdocs'));

backend.add(import('@backstage/plugin-kubernetes-backend'));

// Kafka lag and topics, TimescaleDB stats and Live tokens for catalog entities.
backend.add(import('@homelab/plugin-streaming-backend'));

// User settings are stored server-side and pushed to open tabs via signals.
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.start();
