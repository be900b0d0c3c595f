import { fireEvent, screen, waitFor } from '@testing-library/react';
import {
  backendError,
  deadLettersResponse,
  entity,
  mockStreamingApi,
} from '../../__testUtils__/fixtures';
import { renderForEntity } from '../../__testUtils__/render';
import { DeadLettersTab } from './DeadLettersTab';

const bridge = {
  ...entity,
  metadata: {
    ...entity.metadata,
    name: 'mqtt-kafka-bridge',
    annotations: { 'streaming.homelab.dev/dlq-topic': 'local/homelab.dlq' },
  },
};
const render = (api = mockStreamingApi()) =>
  renderForEntity(<DeadLettersTab />, api, bridge);

describe('DeadLettersTab', () => {
  it('shows counts by reason class and each letter with its reason, source, device and escaped payload', async () => {
    const api = await render();
    expect(
      await screen.findByText(
        'Dead letters by reason class',
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
    const counts = screen.getByTestId('dlq-counts');
    expect(counts).toHaveTextContent('Held by the topic3');
    expect(counts).toHaveTextContent('not-json2');
    expect(counts).toHaveTextContent('invalid-record1');
    expect(
      screen.getByText('ts is 300 years in the future'),
    ).toBeInTheDocument();
    expect(screen.getByText('homelab.energy[0]@41')).toBeInTheDocument();
    expect(screen.getByText('MQTT homelab/energy/meter1')).toBeInTheDocument();
    expect(screen.getByText('meter2')).toBeInTheDocument();
    expect(screen.getByText('timescaledb-sink (3×)')).toBeInTheDocument();
    // The payload is text: markup from a device is shown, never rendered.
    const payload = screen.getByTestId('dlq-payload-0-1');
    expect(payload).toHaveTextContent('\\x1b[2J<script>alert(1)</script>…');
    expect(payload.querySelector('script')).toBeNull();
    expect(payload).toHaveTextContent('first part of 4.0 kB');
    expect(api.getDeadLetters).toHaveBeenCalledWith(
      { kind: 'Component', namespace: 'default', name: 'mqtt-kafka-bridge' },
      { topic: undefined, limit: 50 },
    );
  }, 30_000);

  it('pages back to older letters with the cursor the backend gave', async () => {
    const api = await render();
    fireEvent.click(
      await screen.findByTestId('dlq-older', {}, { timeout: 10_000 }),
    );
    expect(await screen.findByText('oldest letter')).toBeInTheDocument();
    expect(api.getDeadLetters).toHaveBeenLastCalledWith(expect.anything(), {
      topic: undefined,
      before: deadLettersResponse.next,
      limit: 50,
    });
    // The start of retention: no further page.
    await waitFor(() =>
      expect(screen.queryByTestId('dlq-older')).not.toBeInTheDocument(),
    );
  }, 30_000);

  it('explains a missing streaming.dlq.read permission', async () => {
    const error = await backendError(
      403,
      'permission streaming.dlq.read denied for component:default/mqtt-kafka-bridge',
    );
    await render(
      mockStreamingApi({ getDeadLetters: jest.fn().mockRejectedValue(error) }),
    );
    expect(
      await screen.findByText(
        /You may not read dead letters data for this entity/,
        {},
        { timeout: 10_000 },
      ),
    ).toBeInTheDocument();
  }, 30_000);
});
