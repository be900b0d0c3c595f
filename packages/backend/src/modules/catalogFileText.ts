import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { catalogProcessingExtensionPoint } from '@backstage/plugin-catalog-node';
import type { PlaceholderResolverParams } from '@backstage/plugin-catalog-node';

/**
 * Resolves `$text` relative to a `file` location, which Backstage's own
 * resolver cannot: it reads through the URL readers, and no URL reader reads
 * plain files. The repository's API entities keep their definitions beside
 * the code (e.g. the backend plugin's OpenAPI schema), so they need this.
 * Reads are confined to `catalog.fileText.root` (default: the repository
 * root, two levels above packages/backend).
 */
export function createFileTextResolver(root: string) {
  return async (params: PlaceholderResolverParams): Promise<string> => {
    const { value, baseUrl } = params;
    if (typeof value !== 'string') {
      throw new Error(`$text needs a string, got ${typeof value}`);
    }
    if (/^[a-z][a-z0-9+.-]*:/i.test(baseUrl)) {
      // A URL location: do what Backstage's own resolver does.
      const data = await params.read(params.resolveUrl(value, baseUrl));
      return data.toString('utf8');
    }
    const file = resolve(dirname(baseUrl), value);
    const fromRoot = relative(root, file);
    if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) {
      throw new Error(`$text ${value} in ${baseUrl} points outside ${root}`);
    }
    return readFile(file, 'utf8');
  };
}

export default createBackendModule({
  pluginId: 'catalog',
  moduleId: 'file-text-placeholder',
  register(reg) {
    reg.registerInit({
      deps: {
        catalog: catalogProcessingExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ catalog, config }) {
        const root = resolve(
          config.getOptionalString('catalog.fileText.root') ?? '../..',
        );
        catalog.addPlaceholderResolver('text', createFileTextResolver(root));
      },
    });
  },
});
