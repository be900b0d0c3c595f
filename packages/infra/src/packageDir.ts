import path from 'node:path';

/**
 * This package's root. It always runs from its sources (through tsx or Jest),
 * never from a bundle, so files beside the sources are found from here.
 */
export const PACKAGE_DIR = path.dirname(
  require.resolve('@homelab/infra/package.json'),
);
