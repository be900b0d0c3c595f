import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { HomePageWidgetBlueprint } from '@backstage/plugin-home-react/alpha';
import { MarkdownContent } from '@backstage/core-components';

const content = `
## Homelab Streaming

Devices publish over MQTT; **mqtt-kafka-bridge** forwards every reading to
Kafka, **timescaledb-sink** stores it in TimescaleDB and **energy-ws** streams
it live to browsers.

- [The catalog](/catalog): the system, its services, topics and tables
- [The docs](/docs): architecture, data flow, topics, monitoring, runbooks
- On a service page: **Live**, **Kafka** and **TimescaleDB** tabs
`;

const gettingStartedWidget = HomePageWidgetBlueprint.make({
  name: 'getting-started',
  params: {
    name: 'GettingStarted',
    title: 'Getting Started',
    description: 'Where to look first in the Homelab Streaming portal',
    components: async () => ({
      Content: () => <MarkdownContent content={content} />,
    }),
  },
});

export const homeModule = createFrontendModule({
  pluginId: 'home',
  extensions: [gettingStartedWidget],
});
