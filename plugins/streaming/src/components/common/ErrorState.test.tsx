import { screen } from '@testing-library/react';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { backendError } from '../../__testUtils__/fixtures';
import { ErrorState } from './ErrorState';

describe('ErrorState', () => {
  it('says which permission is missing and whom to ask, as the backend names them', async () => {
    const error = await backendError(
      403,
      'permission streaming.kafka.read denied for component:default/timescaledb-sink; ask an owner of group:default/homelab-team to add you to that group, or a portal admin',
    );
    await renderInTestApp(<ErrorState error={error} what="Kafka" />);
    expect(
      await screen.findByText(/You may not read Kafka data for this entity/),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'You need the streaming.kafka.read permission on this entity; ask an owner of group:default/homelab-team to add you to that group, or a portal admin.',
      ),
    ).toBeInTheDocument();
  });

  it('still says what to do when the backend could not name the owner', async () => {
    const error = await backendError(
      403,
      'permission streaming.timescale.read denied for component:default/x',
    );
    await renderInTestApp(<ErrorState error={error} what="TimescaleDB" />);
    expect(
      await screen.findByText(
        'You need the streaming.timescale.read permission on this entity; ask an owner of this entity, or a portal admin.',
      ),
    ).toBeInTheDocument();
  });
});
