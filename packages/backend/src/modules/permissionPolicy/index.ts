import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { StreamingOwnerPolicy } from './policy';
import { readPolicySettings } from './settings';

/**
 * The portal's permission policy: streaming data for owners and admin
 * groups (`streaming.permissions.adminGroups`), everything else allowed.
 */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'streaming-owner-policy',
  register(reg) {
    reg.registerInit({
      deps: { policy: policyExtensionPoint, config: coreServices.rootConfig },
      async init({ policy, config }) {
        policy.setPolicy(new StreamingOwnerPolicy(readPolicySettings(config)));
      },
    });
  },
});

export { StreamingOwnerPolicy } from './policy';
export { readPolicySettings } from './settings';
