import { renderInTestApp } from '@backstage/frontend-test-utils';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import type { Entity } from '@backstage/catalog-model';
import { streamingApiRef } from '../api';
import { entity, mockStreamingApi } from './fixtures';

/** Renders a tab or card for the fixture entity in a test app, against `api`. */
export async function renderForEntity(
  element: JSX.Element,
  api = mockStreamingApi(),
  forEntity: Entity = entity,
) {
  await renderInTestApp(
    <EntityProvider entity={forEntity}>{element}</EntityProvider>,
    {
      apis: [[streamingApiRef, api]],
    },
  );
  return api;
}
